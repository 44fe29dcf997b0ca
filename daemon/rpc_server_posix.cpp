#include "rpc_server.h"

#include <array>
#include <deque>
#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
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
  using Registry = std::set<Connection*>;
  // Connections co-own the registry: pending handlers may keep one alive until the io_context
  // itself is destroyed, after the server.
  Connection(stream::socket socket, RpcDispatcher& dispatcher, std::shared_ptr<Registry> registry)
      : socket_(std::move(socket)),
        dispatcher_(dispatcher),
        registry_(std::move(registry)),
        session_(std::make_shared<Session>()) {
    registry_->insert(this);
  }
  ~Connection() { registry_->erase(this); }

  void start() { read(); }
  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

 private:
  // Fairness and memory bounds: one connection handles at most kLinesPerTurn requests before
  // letting others run, and stops reading while more than kMaxBacklog bytes of its replies wait
  // to be written (a client that never reads cannot make the daemon buffer without end).
  static constexpr int kLinesPerTurn = 16;
  static constexpr std::size_t kMaxBacklog = 32u * 1024 * 1024;

  void read() {
    if (reading_ || !socket_.is_open()) return;
    reading_ = true;
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](
                                                      boost::system::error_code ec, std::size_t n) {
      self->reading_ = false;
      if (ec) return self->close();
      self->take(std::string_view(self->chunk_.data(), n));
      self->process();
    });
  }

  // Buffers bytes read, dropping the rest of an over-long line.
  void take(std::string_view data) {
    if (discarding_) {
      auto nl = data.find('\n');
      if (nl == std::string_view::npos) return;
      discarding_ = false;
      data.remove_prefix(nl + 1);
    }
    const std::size_t scanned = inbuf_.size();
    inbuf_.append(data);
    // A line still unterminated past the limit: answer once, drop it through its newline.
    if (inbuf_.find('\n', scanned) == std::string::npos &&
        inbuf_.size() - line_start_ > proto::kMaxLineBytes) {
      inbuf_.erase(line_start_);
      discarding_ = true;
      send(RpcDispatcher::too_large_response());
    }
  }

  void process() {
    int handled = 0;
    while (socket_.is_open() && backlog_ < kMaxBacklog) {
      auto nl = inbuf_.find('\n', line_start_);
      if (nl == std::string::npos) break;
      if (handled == kLinesPerTurn) {
        asio::post(socket_.get_executor(), [self = shared_from_this()] { self->process(); });
        return;
      }
      std::string_view line(inbuf_.data() + line_start_, nl - line_start_);
      line_start_ = nl + 1;
      ++handled;
      if (line.size() > proto::kMaxLineBytes)
        send(RpcDispatcher::too_large_response());
      else
        dispatch(line);
    }
    // Drop what has been handled; keep the unterminated rest.
    inbuf_.erase(0, line_start_);
    line_start_ = 0;
    if (backlog_ < kMaxBacklog && inbuf_.find('\n') == std::string::npos) read();
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
    backlog_ += line.size();
    out_.push_back(std::move(line));
    if (out_.size() == 1) write();
  }

  void write() {
    asio::async_write(socket_, asio::buffer(out_.front()),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        self->backlog_ -= self->out_.front().size();
                        self->out_.pop_front();
                        if (!self->out_.empty()) self->write();
                        if (self->backlog_ < kMaxBacklog) self->process();
                      });
  }

  stream::socket socket_;
  RpcDispatcher& dispatcher_;
  std::shared_ptr<Registry> registry_;
  std::shared_ptr<Session> session_;
  std::array<char, 65536> chunk_{};
  std::string inbuf_;           // bytes read and not yet handled
  std::size_t line_start_ = 0;  // where the next unhandled line begins in inbuf_
  bool discarding_ = false;     // skipping the rest of an over-long line
  bool reading_ = false;
  std::deque<std::string> out_;
  std::size_t backlog_ = 0;     // bytes in out_
};

}  // namespace

struct RpcServer::Impl {
  asio::io_context& io;
  RpcDispatcher& dispatcher;
  stream::acceptor acceptor;
  std::shared_ptr<Connection::Registry> connections = std::make_shared<Connection::Registry>();
  std::uint64_t total = 0;

  asio::steady_timer backoff;

  Impl(asio::io_context& i, RpcDispatcher& d) : io(i), dispatcher(d), acceptor(i), backoff(i) {}

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, stream::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
        // Out of file descriptors: the pending connection stays queued; accepting again at
        // once would spin. Try again shortly.
        backoff.expires_after(std::chrono::milliseconds(100));
        backoff.async_wait([this](boost::system::error_code e) {
          if (!e) accept();
        });
        return;
      }
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
  impl_->backoff.cancel();
  for (auto* c : Connection::Registry(*impl_->connections)) c->close();
}

std::uint64_t RpcServer::connection_count() const { return impl_->connections->size(); }
std::uint64_t RpcServer::total_connections() const { return impl_->total; }

}  // namespace bb
