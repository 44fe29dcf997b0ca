// What the dashboard's sockets ask of the OS, which differs per OS
// (dashboard_listen_<platform>.cpp): how the listener claims its port, and whose process is on
// the other end of a connection.
#pragma once

#include <boost/asio/ip/tcp.hpp>

namespace bb::dashboard {

// Before bind: the port may be bound again while connections of a previous daemon linger in
// TIME_WAIT, and no other socket may share it.
void claim_port(boost::asio::ip::tcp::acceptor& acceptor, boost::system::error_code& ec);

// False when the process at the other end of this loopback connection belongs to another user:
// cookies do not tell ports apart, so another user's server on 127.0.0.1 can receive this
// user's session cookie from the browser; this is what keeps them from using it. Linux reads
// the peer socket's owner from /proc/net/tcp; where the OS does not say (no /proc, Windows for
// now) it answers true.
bool peer_is_this_user(const boost::asio::ip::tcp::socket& socket);

}  // namespace bb::dashboard
