#include "dashboard_listen.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace bb::dashboard {

using tcp = boost::asio::ip::tcp;

// SO_REUSEADDR: rebinding across TIME_WAIT. A listening port is never shared on Linux or the
// BSDs with it (that would take SO_REUSEPORT).
void claim_port(tcp::acceptor& acceptor, boost::system::error_code& ec) {
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
}

namespace {

// An IPv4 endpoint as /proc/net/tcp prints it: the address's four bytes read as one native
// integer, then the port, both in upper-case hex ("0100007F:5208" for 127.0.0.1:21000 on x86).
std::string proc_form(const tcp::endpoint& e) {
  const auto bytes = e.address().to_v4().to_bytes();
  std::uint32_t native = 0;
  std::memcpy(&native, bytes.data(), sizeof native);
  char out[32];
  std::snprintf(out, sizeof out, "%08X:%04X", native, static_cast<unsigned>(e.port()));
  return out;
}

}  // namespace

bool peer_is_this_user(const tcp::socket& socket) {
  boost::system::error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec || !peer.address().is_v4()) return false;
  const tcp::endpoint local = socket.local_endpoint(ec);
  if (ec) return false;
  std::ifstream table("/proc/net/tcp");
  if (!table) return true;  // no /proc: the OS does not say (docs/DASHBOARD.md)
  // The peer's own socket: its local address is our remote one and the other way round.
  const std::string want_local = proc_form(peer), want_remote = proc_form(local);
  std::string line;
  std::getline(table, line);  // the header
  while (std::getline(table, line)) {
    std::istringstream in(line);
    std::string slot, local_addr, remote_addr, state, queues, timer, retransmits;
    long uid = -1;
    if (!(in >> slot >> local_addr >> remote_addr >> state >> queues >> timer >> retransmits >> uid))
      continue;
    if (local_addr == want_local && remote_addr == want_remote)
      return static_cast<uid_t>(uid) == ::geteuid();
  }
  return false;  // gone already, or not ours to see: refuse
}

}  // namespace bb::dashboard
