#include "dashboard_listen.h"

namespace bb::dashboard {

// SO_REUSEADDR: rebinding across TIME_WAIT. A listening port is never shared on Linux or the
// BSDs with it (that would take SO_REUSEPORT).
void claim_port(boost::asio::ip::tcp::acceptor& acceptor, boost::system::error_code& ec) {
  acceptor.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true), ec);
}

}  // namespace bb::dashboard
