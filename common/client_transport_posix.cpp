#include "client_transport.h"

#include <cerrno>
#include <cstring>
#include <mutex>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "unix_socket_posix.h"

namespace bb {

namespace {

std::int64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Shuts the connection down through a duplicate of its fd: the client closes its own fd when
// it is done, and that number could then be reused by another connection, which a late
// fire() must never hit.
class SocketInterrupt final : public ConnectionInterrupt {
 public:
  explicit SocketInterrupt(int fd) : fd_(fd >= 0 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1) {}
  ~SocketInterrupt() override {
    if (fd_ >= 0) ::close(fd_);
  }
  void fire() override {
    std::lock_guard lock(mutex_);
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  }

 private:
  std::mutex mutex_;
  int fd_;
};

class SocketTransport final : public ClientTransport {
 public:
  explicit SocketTransport(int fd) : fd_(fd) {}
  ~SocketTransport() override { ::close(fd_); }

  bool write_all(std::string_view data, std::string& error) override {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        error = std::strerror(errno);
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  Read read_some(std::string& into, std::optional<std::chrono::milliseconds> timeout,
                 std::string& error) override {
    const std::int64_t deadline = timeout ? monotonic_ms() + timeout->count() : 0;
    for (;;) {
      int wait_ms = -1;
      if (timeout) {
        const std::int64_t left = deadline - monotonic_ms();
        if (left <= 0) return Read::timeout;
        wait_ms = static_cast<int>(left);
      }
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, wait_ms);
      if (r < 0) {
        if (errno == EINTR) continue;
        error = std::string("poll(): ") + std::strerror(errno);
        return Read::failed;
      }
      if (r == 0) continue;  // the deadline check above ends the wait
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        error = std::strerror(errno);
        return Read::failed;
      }
      if (n == 0) return Read::closed;
      into.append(buf, static_cast<std::size_t>(n));
      return Read::data;
    }
  }

  bool peer_closed() override {
    pollfd pfd{fd_, POLLIN | POLLRDHUP, 0};
    return ::poll(&pfd, 1, 0) != 0;
  }

  std::shared_ptr<ConnectionInterrupt> interrupt_handle() override {
    return std::make_shared<SocketInterrupt>(fd_);
  }

 private:
  int fd_;
};

}  // namespace

std::variant<std::unique_ptr<ClientTransport>, std::string> connect_client_transport(
    const std::filesystem::path& endpoint, ConnectFailure* why) {
  ConnectFailure ignored;
  if (why == nullptr) why = &ignored;
  *why = ConnectFailure::other;
  std::error_code ec;
  if (!std::filesystem::exists(endpoint.parent_path(), ec)) {
    *why = ConnectFailure::nothing_listens;
    return "cannot connect to " + endpoint.string() + ": its directory does not exist";
  }
  // Only a private directory of ours can hold the real daemon's socket: anywhere else another
  // user could have put theirs first.
  if (auto problem = private_dir_problem(endpoint.parent_path()); !problem.empty()) {
    *why = ConnectFailure::unsafe;
    return "refusing to connect to " + endpoint.string() + ": its directory " +
           endpoint.parent_path().string() + " is not private to you (" + problem +
           "); use a state dir of your own, or set BACKBURNER_SOCKET to a path in a directory "
           "only you can write";
  }
  auto address = UnixAddress::make(endpoint);
  if (auto* err = std::get_if<std::string>(&address)) return *err;
  const UnixAddress& a = std::get<UnixAddress>(address);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket(): ") + std::strerror(errno);
  if (::connect(fd, a.get(), a.size()) != 0) {
    const int e = errno;
    const std::string err = std::strerror(e);
    if (e == ENOENT || e == ECONNREFUSED) *why = ConnectFailure::nothing_listens;
    ::close(fd);
    return "cannot connect to " + endpoint.string() + ": " + err;
  }
#if defined(SO_PEERCRED)
  ucred cred{};
  socklen_t len = sizeof cred;
  const bool known = ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0;
  const uid_t peer = cred.uid;
#else
  uid_t peer = 0;
  gid_t group = 0;
  const bool known = ::getpeereid(fd, &peer, &group) == 0;
#endif
  if (!known || peer != ::getuid()) {
    *why = ConnectFailure::unsafe;
    ::close(fd);
    return "refusing to talk to the process listening at " + endpoint.string() + ": it runs as " +
           (known ? "uid " + std::to_string(peer) : std::string("an unknown user")) +
           ", not as you (uid " + std::to_string(::getuid()) + ")";
  }
  return std::unique_ptr<ClientTransport>(std::make_unique<SocketTransport>(fd));
}

}  // namespace bb
