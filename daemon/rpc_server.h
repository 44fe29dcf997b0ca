// The daemon's socket: accepts same-user connections and frames them into request lines
// (newline-terminated, at most proto::kMaxLineBytes), handing each to the dispatcher.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "rpc_dispatcher.h"

namespace boost::asio {
class io_context;
}

namespace bb {

class RpcServer {
 public:
  RpcServer(boost::asio::io_context& io, RpcDispatcher& dispatcher);
  ~RpcServer();

  // Binds and listens on `path` (mode 0600), replacing a stale socket file. Empty on success,
  // else a message.
  std::string listen(const std::filesystem::path& path);
  // Serves an already listening socket (systemd socket activation).
  std::string adopt(int listening_fd);
  void stop();  // stops accepting and closes every connection
  std::uint64_t connection_count() const;
  std::uint64_t total_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bb
