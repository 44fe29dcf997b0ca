// How the dashboard's listening socket claims its port, which differs per OS
// (dashboard_listen_<platform>.cpp).
#pragma once

#include <boost/asio/ip/tcp.hpp>

namespace bb::dashboard {

// Before bind: the port may be bound again while connections of a previous daemon linger in
// TIME_WAIT, and no other socket may share it.
void claim_port(boost::asio::ip::tcp::acceptor& acceptor, boost::system::error_code& ec);

}  // namespace bb::dashboard
