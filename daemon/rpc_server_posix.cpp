#include "rpc_server.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "quiet_timer.h"
#include "rpc_connection.h"
#include "unix_socket_posix.h"

namespace bb {

namespace asio = boost::asio;
using stream = asio::local::stream_protocol;

namespace {

class SocketStream final : public ByteStream {
 public:
  explicit SocketStream(stream::socket s) : socket_(std::move(s)) {}
  void async_read_some(char* data, std::size_t size, Handler handler) override {
    socket_.async_read_some(asio::buffer(data, size), std::move(handler));
  }
  void async_write(const char* data, std::size_t size, Handler handler) override {
    asio::async_write(socket_, asio::buffer(data, size), std::move(handler));
  }
  bool is_open() const override { return socket_.is_open(); }
  void close() override {
    boost::system::error_code ec;
    socket_.close(ec);
  }
  asio::any_io_executor executor() override { return socket_.get_executor(); }

 private:
  stream::socket socket_;
};

// A socket handed over by systemd socket activation (LISTEN_FDS), if it is meant for us.
int activation_socket() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (pid == nullptr || fds == nullptr) return -1;
  if (std::strtol(pid, nullptr, 10) != ::getpid() || std::strtol(fds, nullptr, 10) < 1) return -1;
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  ::fcntl(3, F_SETFD, FD_CLOEXEC);
  return 3;
}

}  // namespace

struct RpcServer::Impl {
  asio::io_context& io;
  RpcDispatcher& dispatcher;
  stream::acceptor acceptor;
  std::shared_ptr<Connection::Registry> connections = std::make_shared<Connection::Registry>();
  std::uint64_t total = 0;
  QuietTimer backoff;
  std::filesystem::path created;  // the socket file we made (removed at stop)
  bool activated = false;

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
          std::make_shared<Connection>(std::make_unique<SocketStream>(std::move(socket)),
                                       dispatcher, connections)
              ->start();
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
  if (const int fd = activation_socket(); fd >= 0) {
    impl_->acceptor.assign(stream(), fd, ec);
    if (ec) return "cannot use the socket systemd passed: " + ec.message();
    impl_->activated = true;
    impl_->accept();
    return {};
  }
  auto address = UnixAddress::make(path);
  if (auto* err = std::get_if<std::string>(&address)) return "cannot listen: " + *err;
  const UnixAddress& a = std::get<UnixAddress>(address);
  // A stale socket from a daemon that died: we hold the state dir's lock, so it is no one's.
  ::unlink(path.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "cannot listen on " + path.string() + ": " + std::strerror(errno);
  // The process umask is 077 (daemon_host), so the socket is 0600 from its first instant.
  if (::bind(fd, a.get(), a.size()) != 0 || ::listen(fd, SOMAXCONN) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    return "cannot listen on " + path.string() + ": " + err;
  }
  ::chmod(path.c_str(), 0600);
  impl_->created = path;
  impl_->acceptor.assign(stream(), fd, ec);
  if (ec) return "cannot listen on " + path.string() + ": " + ec.message();
  impl_->accept();
  return {};
}

bool RpcServer::activated() const { return impl_->activated; }

void RpcServer::stop() {
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  impl_->backoff.cancel();
  for (auto* c : Connection::Registry(*impl_->connections)) c->close();
  // A socket handed over by systemd belongs to its socket unit, which serves it again next time.
  if (!impl_->created.empty()) {
    ::unlink(impl_->created.c_str());
    impl_->created.clear();
  }
}

std::uint64_t RpcServer::connection_count() const { return impl_->connections->size(); }
std::uint64_t RpcServer::total_connections() const { return impl_->total; }

}  // namespace bb
