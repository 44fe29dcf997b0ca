// The dashboard's API and page: answers what the gate let through (dashboard_http.h) from the
// same TaskManager, OutputService, EventHub and daemon info the RPC dispatcher uses, and feeds
// each page's event stream from the EventHub. The routes are listed in docs/DASHBOARD.md.
#pragma once

#include <functional>
#include <memory>

#include "command_policy.h"
#include "dashboard_http.h"
#include "event_hub.h"
#include "protocol.h"
#include "task_manager.h"
#include "task_output.h"
#include "worker_pool.h"

namespace boost::asio {
class io_context;
}

namespace bb {

struct DashboardServices {
  TaskManager& tasks;
  WorkerPool& workers;
  OutputService& output;
  EventHub& events;
  const CommandPolicy& daemon_policy;
  std::function<proto::DaemonInfo()> info;
};

// REQUIRES: every service outlives the handler; the handler outlives the server it answers.
std::unique_ptr<dashboard::DashboardHandler> make_dashboard_api(boost::asio::io_context& io,
                                                               DashboardServices services);

}  // namespace bb
