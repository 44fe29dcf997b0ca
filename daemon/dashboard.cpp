#include "dashboard.h"

#include <cstdlib>

#include <boost/asio/io_context.hpp>

namespace bb {

std::optional<std::uint16_t> dashboard_port_from_env(const EnvLookup& env,
                                                     std::vector<std::string>* warnings) {
  auto v = env("BACKBURNER_DASHBOARD_PORT");
  if (!v || v->empty()) return std::nullopt;
  char* end = nullptr;
  const long n = std::strtol(v->c_str(), &end, 10);
  if (end == v->c_str() || *end != '\0' || n < 0 || n > 65535) {
    if (warnings)
      warnings->push_back("BACKBURNER_DASHBOARD_PORT=" + *v +
                          " is not a port (0 to 65535); using the default port");
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(n);
}

Dashboard::Dashboard(boost::asio::io_context& io, DashboardServices services,
                     DashboardOptions options)
    : options_(options),
      api_(make_dashboard_api(io, std::move(services))),
      http_(std::make_unique<dashboard::HttpServer>(io, *api_, options.limits)) {}

Dashboard::~Dashboard() { stop(); }

dashboard::HttpServer& Dashboard::http() { return *http_; }

void Dashboard::stop() {
  if (http_) http_->stop();
}

std::optional<std::string> Dashboard::base_url() const {
  if (!http_->listening()) return std::nullopt;
  return "http://127.0.0.1:" + std::to_string(http_->port()) + "/";
}

Outcome<proto::DashboardOpenResult> Dashboard::open() {
  if (!http_->listening()) {
    std::string err;
    if (options_.port) {
      err = http_->listen(*options_.port);
    } else {
      // The user's port, else one of the next 9 (another program may hold it), else any.
      for (int i = 0; i < 10; ++i) {
        const int port = options_.default_port + i;
        if (port > 65535) break;
        err = http_->listen(static_cast<std::uint16_t>(port));
        if (err.empty()) break;
      }
      if (!err.empty()) err = http_->listen(0);
    }
    if (!err.empty())
      return Failure{proto::error::kDashboardUnavailable,
                     "the dashboard cannot listen: " + err +
                         (options_.port ? " (BACKBURNER_DASHBOARD_PORT chooses the port)" : ""),
                     {{"kind", "dashboard_unavailable"}}};
  }
  proto::DashboardOpenResult r;
  r.base_url = *base_url();
  r.url = r.base_url + "?token=" + http_->gate().mint_token();
  r.port = http_->port();
  r.token_expires_in_seconds = static_cast<double>(options_.limits.token_lifetime.count());
  return r;
}

}  // namespace bb
