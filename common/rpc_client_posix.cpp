#include "rpc_client.h"

#include <cerrno>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

namespace bb {

using nlohmann::json;

namespace {

std::int64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

RpcError transport_error(std::string message) {
  return RpcError{kTransportError, std::move(message), nullptr};
}

}  // namespace

RpcClient::RpcClient(RpcClient&& o) noexcept
    : fd_(o.fd_), next_id_(o.next_id_), buffer_(std::move(o.buffer_)) {
  o.fd_ = -1;
}

RpcClient& RpcClient::operator=(RpcClient&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    next_id_ = o.next_id_;
    buffer_ = std::move(o.buffer_);
    o.fd_ = -1;
  }
  return *this;
}

RpcClient::~RpcClient() { close(); }

void RpcClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

std::variant<RpcClient, std::string> RpcClient::connect(const std::string& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path)
    return "socket path is too long for a Unix socket: " + socket_path;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket(): ") + std::strerror(errno);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::string err = std::strerror(errno);
    ::close(fd);
    return "cannot connect to " + socket_path + ": " + err;
  }
  return RpcClient(fd);
}

bool RpcClient::write_all(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::variant<std::string, RpcError> RpcClient::read_line(
    std::optional<std::chrono::milliseconds> timeout) {
  const std::int64_t deadline = timeout ? monotonic_ms() + timeout->count() : 0;
  for (;;) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    int wait_ms = -1;
    if (timeout) {
      std::int64_t left = deadline - monotonic_ms();
      if (left <= 0) return transport_error("timed out waiting for the daemon's answer");
      wait_ms = static_cast<int>(left);
    }
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, wait_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      return transport_error(std::string("poll(): ") + std::strerror(errno));
    }
    if (r == 0) continue;  // the deadline check above ends the wait
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return transport_error(std::string("connection to the daemon failed: ") +
                             std::strerror(errno));
    }
    if (n == 0) return transport_error("the daemon closed the connection");
    buffer_.append(buf, static_cast<std::size_t>(n));
    if (buffer_.size() > proto::kMaxLineBytes + 1 && buffer_.find('\n') == std::string::npos)
      return transport_error("the daemon sent a line longer than the protocol allows");
  }
}

std::variant<std::string, RpcError> RpcClient::raw_exchange(std::string_view line,
                                                            std::chrono::milliseconds timeout) {
  if (fd_ < 0) return transport_error("not connected");
  if (!write_all(line)) return transport_error("cannot write to the daemon");
  return read_line(timeout);
}

CallOutcome RpcClient::call(std::string_view method, const json& params,
                            std::optional<std::chrono::milliseconds> timeout) {
  if (fd_ < 0) return transport_error("not connected to the daemon");
  const std::int64_t id = next_id_++;
  json req = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) req["params"] = params;
  std::string line = req.dump(-1, ' ', false, json::error_handler_t::replace);
  line += '\n';
  if (!write_all(line)) {
    close();
    return transport_error(std::string("cannot send to the daemon: ") + std::strerror(errno));
  }
  for (;;) {
    auto got = read_line(timeout);
    if (auto* err = std::get_if<RpcError>(&got)) {
      close();
      return *err;
    }
    json resp = json::parse(std::get<std::string>(got), nullptr, false);
    if (resp.is_discarded() || !resp.is_object()) {
      close();
      return transport_error("the daemon sent a malformed response");
    }
    if (!resp.contains("id") || resp["id"] != id) continue;  // not ours (e.g. a late reply)
    if (auto e = resp.find("error"); e != resp.end() && e->is_object()) {
      RpcError out;
      out.code = e->value("code", 0);
      out.message = e->value("message", std::string());
      if (auto d = e->find("data"); d != e->end()) out.data = *d;
      return out;
    }
    if (auto r = resp.find("result"); r != resp.end()) return *r;
    close();
    return transport_error("the daemon sent a response with neither result nor error");
  }
}

std::variant<proto::HelloResult, RpcError> RpcClient::hello(const proto::HelloParams& params) {
  auto out = call(proto::method::kHello, json(params), std::chrono::seconds(10));
  if (auto* err = std::get_if<RpcError>(&out)) return *err;
  try {
    return std::get<json>(out).get<proto::HelloResult>();
  } catch (const std::exception& e) {
    return RpcError{kTransportError, std::string("unexpected hello answer: ") + e.what(), nullptr};
  } catch (const proto::ParamsError& e) {
    return RpcError{kTransportError, "unexpected hello answer: " + e.message, nullptr};
  }
}

}  // namespace bb
