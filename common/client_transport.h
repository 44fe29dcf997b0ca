// A client's byte stream to the daemon: a Unix socket (client_transport_posix.cpp) or a named
// pipe (client_transport_win.cpp). Connecting checks who is on the other end before a single
// byte is sent: the endpoint's directory must be the user's own and private, and the peer must
// run as the same user. A task's command, cwd and environment (secrets included) go over this
// connection, so talking to anyone else would leak them.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace bb {

// Makes a call blocked on a connection return at once (as a broken connection). Thread-safe,
// and safe to fire after the connection itself was closed: it holds its own reference.
class ConnectionInterrupt {
 public:
  virtual ~ConnectionInterrupt() = default;
  virtual void fire() = 0;
};

class ClientTransport {
 public:
  virtual ~ClientTransport() = default;
  // False if the connection failed; `error` says why.
  virtual bool write_all(std::string_view data, std::string& error) = 0;
  enum class Read { data, closed, timeout, failed };
  // Appends what arrives to `into`, waiting at most `timeout` (nullopt: forever).
  virtual Read read_some(std::string& into, std::optional<std::chrono::milliseconds> timeout,
                         std::string& error) = 0;
  // True if the daemon closed (or broke) a connection that has nothing to read: an idle
  // pooled connection found dead.
  virtual bool peer_closed() = 0;
  virtual std::shared_ptr<ConnectionInterrupt> interrupt_handle() = 0;
};

// Why a connection could not be made.
enum class ConnectFailure {
  nothing_listens,  // no endpoint, or no one behind it: starting a daemon may help
  unsafe,           // someone else's, or in a place others control: never talk to it
  other,
};

// Connects to the daemon's endpoint after checking it (see above). The error names what is
// wrong and what to do; `why`, when given, receives its kind.
std::variant<std::unique_ptr<ClientTransport>, std::string> connect_client_transport(
    const std::filesystem::path& endpoint, ConnectFailure* why = nullptr);

}  // namespace bb
