// A blocking client for the daemon protocol over its Unix socket: one request at a time on one
// connection. Used by the shim, the CLI and the tests; it carries no task state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "protocol.h"

namespace bb {

struct RpcError {
  int code = 0;
  std::string message;
  nlohmann::json data;  // null when the error carried none
};

// Either the method's `result` or the error the daemon (or the transport) reported.
// Transport failures (connection lost, timeout) use code kTransportError.
inline constexpr int kTransportError = -1;
using CallOutcome = std::variant<nlohmann::json, RpcError>;

class RpcClient {
 public:
  RpcClient() = default;
  RpcClient(RpcClient&&) noexcept;
  RpcClient& operator=(RpcClient&&) noexcept;
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;
  ~RpcClient();

  // Connects to the socket. Returns an error message if nothing listens there.
  static std::variant<RpcClient, std::string> connect(const std::string& socket_path);

  // Sends hello and checks the answer. Must be the first call on a connection.
  std::variant<proto::HelloResult, RpcError> hello(const proto::HelloParams& params);

  // Sends one request and waits for its response, at most `timeout` (nullopt: forever).
  CallOutcome call(std::string_view method, const nlohmann::json& params,
                   std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Writes a raw line (no newline added) and reads one response line; for protocol tests.
  std::variant<std::string, RpcError> raw_exchange(std::string_view line,
                                                   std::chrono::milliseconds timeout);

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void close();

 private:
  explicit RpcClient(int fd) : fd_(fd) {}
  std::variant<std::string, RpcError> read_line(std::optional<std::chrono::milliseconds> timeout);
  bool write_all(std::string_view data);

  int fd_ = -1;
  std::int64_t next_id_ = 1;
  std::string buffer_;  // bytes read past the last line
};

}  // namespace bb
