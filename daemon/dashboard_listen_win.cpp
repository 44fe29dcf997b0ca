#include "dashboard_listen.h"

#include <winsock2.h>

#include <boost/asio/detail/socket_option.hpp>

namespace bb::dashboard {

// On Windows SO_REUSEADDR would let another process bind the same port; SO_EXCLUSIVEADDRUSE
// forbids that (and TIME_WAIT does not block a rebind of a listening port there).
void claim_port(boost::asio::ip::tcp::acceptor& acceptor, boost::system::error_code& ec) {
  using exclusive = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_EXCLUSIVEADDRUSE>;
  acceptor.set_option(exclusive(true), ec);
}

// Not checked on Windows yet (GetExtendedTcpTable gives the peer's pid, whose token names the
// user); docs/DASHBOARD.md says so.
bool peer_is_this_user(const boost::asio::ip::tcp::socket&) { return true; }

}  // namespace bb::dashboard
