// A blocking client for the daemon protocol: one request at a time on one connection. Used by
// the shim, the CLI and the tests; it carries no task state. The connection itself is the
// platform's (client_transport.h), checked before anything is sent.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <vector>

#include <nlohmann/json.hpp>

#include "client_transport.h"
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

  // Connects to the daemon's socket (or pipe). Returns a message if nothing (or no one
  // trustworthy) listens there.
  static std::variant<RpcClient, std::string> connect(const std::filesystem::path& endpoint,
                                                      ConnectFailure* why = nullptr);

  // Sends hello and checks the answer. Must be the first call on a connection.
  std::variant<proto::HelloResult, RpcError> hello(const proto::HelloParams& params);

  // Sends one request and waits for its response, at most `timeout` (nullopt: forever).
  // Notifications that arrive meanwhile are kept for next_notification().
  CallOutcome call(std::string_view method, const nlohmann::json& params,
                   std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // The next notification the daemon pushed (after a subscription), waiting at most `timeout`;
  // nullopt on timeout; an RpcError when the connection failed.
  std::variant<nlohmann::json, RpcError, std::monostate> next_notification(
      std::optional<std::chrono::milliseconds> timeout);

  // Writes a raw line (no newline added) and reads one response line; for protocol tests.
  std::variant<std::string, RpcError> raw_exchange(std::string_view line,
                                                   std::chrono::milliseconds timeout);

  bool connected() const { return transport_ != nullptr; }
  // True if the daemon closed this (idle) connection since its last use.
  bool peer_closed() const;
  // Interrupts a call blocked on this connection, from another thread (see ConnectionInterrupt).
  std::shared_ptr<ConnectionInterrupt> interrupt_handle() const;
  void close();

 private:
  explicit RpcClient(std::unique_ptr<ClientTransport> t) : transport_(std::move(t)) {}
  std::variant<std::string, RpcError> read_line(std::optional<std::chrono::milliseconds> timeout);
  bool write_all(std::string_view data, std::string& error);

  std::unique_ptr<ClientTransport> transport_;
  std::int64_t next_id_ = 1;
  std::string buffer_;  // bytes read past the last line
  std::vector<nlohmann::json> notifications_;  // pushed while a call waited for its answer
};

}  // namespace bb
