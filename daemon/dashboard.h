// The daemon's web dashboard: the HTTP layer (dashboard_http.h) with the handler that answers
// it (dashboard_api.h) from the same services the RPC dispatcher uses.
// Nothing listens until dashboard.open asks; from then on it serves until the daemon stops.
// docs/DASHBOARD.md describes the page, the API and the security model.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dashboard_api.h"
#include "dashboard_http.h"
#include "failure.h"
#include "protocol.h"
#include "state_paths.h"

namespace boost::asio {
class io_context;
}

namespace bb {

struct DashboardOptions {
  // BACKBURNER_DASHBOARD_PORT: only this port (0: one the system picks). Absent: the user's
  // default port (dashboard::default_port_for_user), else one of the next 9, else one the
  // system picks.
  std::optional<std::uint16_t> port;
  std::uint16_t default_port = 0;
  dashboard::HttpLimits limits;
};

// BACKBURNER_DASHBOARD_PORT from the environment (a warning for a value that is no port).
std::optional<std::uint16_t> dashboard_port_from_env(const EnvLookup& env,
                                                     std::vector<std::string>* warnings);

class Dashboard {
 public:
  Dashboard(boost::asio::io_context& io, DashboardServices services, DashboardOptions options);
  ~Dashboard();

  // dashboard.open: starts listening if it does not yet, and mints a one-time token.
  // kDashboardUnavailable if no port could be had.
  Outcome<proto::DashboardOpenResult> open();
  // Where it serves, without a token; nullopt while it does not.
  std::optional<std::string> base_url() const;
  void stop();

  dashboard::HttpServer& http();

 private:
  DashboardOptions options_;
  std::unique_ptr<dashboard::DashboardHandler> api_;
  std::unique_ptr<dashboard::HttpServer> http_;
};

}  // namespace bb
