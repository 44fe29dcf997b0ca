#include "rpc_server.h"

#include <array>
#include <deque>
#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bb {

namespace asio = boost::asio;
using stream = asio::local::stream_protocol;

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(stream::socket socket, RpcDispatcher& dispatcher, std::set<Connection*>& registry)
      : socket_(std::move(socket)),
        dispatcher_(dispatcher),
        registry_(registry),
        session_(std::make_shared<Session>()) {
    registry_.insert(this);
  }
  ~Connection() { registry_.erase(this); }

  void start() { read(); }
  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](
                                                      boost::system::error_code ec, std::size_t n) {
      if (ec) return self->close();
      self->consume(n);
      if (self->socket_.is_open()) self->read();
    });
  }

  void consume(std::size_t n) {
    std::string_view data(chunk_.data(), n);
    while (!data.empty()) {
      auto nl = data.find('\n');
      if (discarding_) {
        if (nl == std::string_view::npos) return;
        discarding_ = false;
        data.remove_prefix(nl + 1);
        continue;
      }
      if (nl == std::string_view::npos) {
        pending_.append(data);
        if (pending_.size() > proto::kMaxLineBytes) {
          pending_.clear();
          pending_.shrink_to_fit();
          discarding_ = true;
          send(RpcDispatcher::too_large_response());
        }
        return;
      }
      std::string_view line = data.substr(0, nl);
      data.remove_prefix(nl + 1);
      if (!pending_.empty()) {
        pending_.append(line);
        if (pending_.size() > proto::kMaxLineBytes)
          send(RpcDispatcher::too_large_response());
        else
          dispatch(pending_);
        pending_.clear();
      } else {
        dispatch(line);
      }
    }
  }

  void dispatch(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;  // blank line
    std::weak_ptr<Connection> weak = shared_from_this();
    dispatcher_.handle_line(session_, line, [weak](std::string response) {
      if (auto self = weak.lock()) self->send(std::move(response));
    });
  }

  void send(std::string line) {
    if (!socket_.is_open()) return;
    line += '\n';
    out_.push_back(std::move(line));
    if (out_.size() == 1) write();
  }

  void write() {
    asio::async_write(socket_, asio::buffer(out_.front()),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        self->out_.pop_front();
                        if (!self->out_.empty()) self->write();
                      });
  }

  stream::socket socket_;
  RpcDispatcher& dispatcher_;
  std::set<Connection*>& registry_;
  std::shared_ptr<Session> session_;
  std::array<char, 65536> chunk_{};
  std::string pending_;  // a line not yet terminated
  bool discarding_ = false;  // skipping the rest of an over-long line
  std::deque<std::string> out_;
};

}  // namespace

struct RpcServer::Impl {
  asio::io_context& io;
  RpcDispatcher& dispatcher;
  stream::acceptor acceptor;
  std::set<Connection*> connections;
  std::uint64_t total = 0;

  Impl(asio::io_context& i, RpcDispatcher& d) : io(i), dispatcher(d), acceptor(i) {}

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, stream::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        // Only the daemon's own user may talk to it, whatever the socket's mode says.
        ucred cred{};
        socklen_t len = sizeof cred;
        if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
            cred.uid == ::getuid()) {
          ++total;
          std::make_shared<Connection>(std::move(socket), dispatcher, connections)->start();
        }
      }
      accept();
    });
  }
};

RpcServer::RpcServer(asio::io_context& io, RpcDispatcher& dispatcher)
    : impl_(std::make_unique<Impl>(io, dispatcher)) {}

RpcServer::~RpcServer() { stop(); }

std::string RpcServer::listen(const std::filesystem::path& path) {
  boost::system::error_code ec;
  ::unlink(path.c_str());  // a stale socket from a daemon that died; we hold the lock
  mode_t old = ::umask(0077);
  impl_->acceptor.open(stream(), ec);
  if (!ec) impl_->acceptor.bind(stream::endpoint(path.string()), ec);
  ::umask(old);
  if (!ec) ::chmod(path.c_str(), 0600);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return "cannot listen on " + path.string() + ": " + ec.message();
  ::fcntl(impl_->acceptor.native_handle(), F_SETFD, FD_CLOEXEC);
  impl_->accept();
  return {};
}

std::string RpcServer::adopt(int fd) {
  boost::system::error_code ec;
  impl_->acceptor.assign(stream(), fd, ec);
  if (ec) return "cannot use the passed socket: " + ec.message();
  impl_->accept();
  return {};
}

void RpcServer::stop() {
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  for (auto* c : std::set<Connection*>(impl_->connections)) c->close();
}

std::uint64_t RpcServer::connection_count() const { return impl_->connections.size(); }
std::uint64_t RpcServer::total_connections() const { return impl_->total; }

}  // namespace bb
