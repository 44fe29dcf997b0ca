// How daemon answers become MCP tool results: the task object (the shape proto/mcp/
// task.schema.json promises), the one-line summaries a model reads first, and failure messages
// that say what happened and what to do.
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

// The task's progress in words ("45%, 12/50: building docs"), or "" when it has none.
std::string progress_words(const proto::Progress& p);

// One line a model reads first: "Task k3f9x2 completed (exit 0) after 12.3 s: make test", or
// "Task k3f9x2 is working (pid 4242, running 5.1 s, 45%: building): make test". The command is
// shortened to fit.
std::string status_line(const proto::TaskView& task);

// "completed (exit 0)", "failed (exit 2)", "failed (SIGSEGV)", "timed_out", ...
std::string outcome_words(const proto::TaskView& task);

// A number of seconds for reading: "12.3 s".
std::string seconds_text(double seconds);

// The message of an isError result for a daemon error: the daemon's words plus what to do.
// `default_cwd` is named in the hint for a bad working directory.
std::string explain_daemon_error(const RpcError& error, std::string_view default_cwd = {});

}  // namespace bb::shim
