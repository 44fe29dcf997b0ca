// backburner tasks as MCP Tasks: the MCP taskId is the backburner task id, so a task started
// either way (a task-augmented start_task, the plain tool, the CLI) is the same task everywhere.
//
// Statuses, legacy era (2025-11-25): working -> working; completed -> completed; failed,
// timed_out, interrupted -> failed; cancelled -> cancelled. Modern extension
// (io.modelcontextprotocol/tasks), where `failed` is only for JSON-RPC errors: every ended
// command is `completed` with its tool result inlined (isError unless it exited 0), and
// cancelled stays cancelled. In both, statusMessage says what backburner knows: the progress
// of a working task, how an ended one ended (timed_out and interrupted by name).
//
// ttl: the daemon's retention (daemon.info keep_days) counted from the task's end, given from
// creation; while the task works it is at least its age plus the retention, and grows (the
// spec lets it change). null when the daemon keeps tasks for good.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "protocol.h"

namespace bb::shim {

struct TaskTiming {
  std::optional<double> keep_days;       // the daemon's retention; nullopt: forever
  std::int64_t poll_interval_ms = 1000;  // what a client that polls should wait between polls
};

std::string legacy_status(const proto::TaskView& task);
std::string modern_status(const proto::TaskView& task);
std::string task_status_message(const proto::TaskView& task);

// {taskId, status, statusMessage, createdAt, lastUpdatedAt, ttl, pollInterval} (2025-11-25)
nlohmann::json legacy_task(const proto::TaskView& task, const TaskTiming& timing,
                           std::int64_t now_ms);
// {taskId, status, statusMessage, createdAt, lastUpdatedAt, ttlMs, pollIntervalMs} (extension)
nlohmann::json modern_task(const proto::TaskView& task, const TaskTiming& timing,
                           std::int64_t now_ms);

}  // namespace bb::shim
