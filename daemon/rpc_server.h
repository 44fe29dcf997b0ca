// The daemon's endpoint: accepts connections of this user only and serves each as a Connection
// (rpc_connection.h). Platform part: rpc_server_<platform>.cpp (Unix socket, named pipe).
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

  // Serves the endpoint a service manager handed over for it (systemd socket activation), else
  // creates `endpoint` (private to the user, replacing a stale one). Empty on success, else a
  // message.
  std::string listen(const std::filesystem::path& endpoint);
  // True if the endpoint was handed over (it then belongs to the service manager).
  bool activated() const;
  // Stops accepting and closes every connection. Removes the endpoint it created.
  void stop();
  std::uint64_t connection_count() const;
  std::uint64_t total_connections() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace bb
