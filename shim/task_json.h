// How daemon answers become MCP tool results: the task object (the shape proto/mcp/
// task.schema.json promises) and failure messages that say what happened and what to do.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "protocol.h"
#include "rpc_client.h"

namespace bb::shim {

// The task object of the MCP tools. Absent optional fields are omitted (never null), so the
// object conforms to task.schema.json whatever the daemon's own encoding of absence.
nlohmann::json task_to_mcp(const proto::TaskView& task);

// The message of an isError result for a daemon error: the daemon's words plus what to do.
// `default_cwd` is named in the hint for a bad working directory.
std::string explain_daemon_error(const RpcError& error, std::string_view default_cwd = {});

}  // namespace bb::shim
