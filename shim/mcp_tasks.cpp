#include "mcp_tasks.h"

#include <cmath>

#include "iso_time.h"
#include "task_json.h"

namespace bb::shim {

using nlohmann::json;
using proto::Status;

std::string legacy_status(const proto::TaskView& t) {
  switch (t.status) {
    case Status::working:
      return "working";
    case Status::completed:
      return "completed";
    case Status::cancelled:
      return "cancelled";
    default:
      return "failed";
  }
}

std::string modern_status(const proto::TaskView& t) {
  switch (t.status) {
    case Status::working:
      return "working";
    case Status::cancelled:
      return "cancelled";
    default:
      return "completed";  // the command's outcome is the tool result's
  }
}

std::string task_status_message(const proto::TaskView& t) {
  if (t.status == Status::working) {
    std::string s = "working";
    if (t.progress) {
      if (auto w = progress_words(*t.progress); !w.empty()) s += ": " + w;
    } else if (t.running_for_seconds) {
      s += " for " + seconds_text(*t.running_for_seconds);
    }
    return s;
  }
  std::string s = outcome_words(t);
  if (t.status == Status::timed_out && t.timeout_seconds)
    s += ": stopped after its timeout of " + seconds_text(*t.timeout_seconds);
  if (t.status != Status::completed && t.status_message && !t.status_message->empty())
    s += ": " + *t.status_message;
  return s;
}

namespace {

json common(const proto::TaskView& t) {
  return {{"taskId", t.task_id},
          {"status", legacy_status(t)},
          {"statusMessage", task_status_message(t)},
          {"createdAt", t.created_at},
          {"lastUpdatedAt", t.finished_at.value_or(t.started_at.value_or(t.created_at))}};
}

json ttl_ms(const proto::TaskView& t, const TaskTiming& timing, std::int64_t now_ms) {
  if (!timing.keep_days) return nullptr;
  const auto created = parse_iso_utc(t.created_at).value_or(now_ms);
  const auto end = t.finished_at ? parse_iso_utc(*t.finished_at).value_or(now_ms) : now_ms;
  return static_cast<std::int64_t>(end - created) +
         static_cast<std::int64_t>(std::llround(*timing.keep_days * 86400000.0));
}

}  // namespace

json legacy_task(const proto::TaskView& t, const TaskTiming& timing, std::int64_t now_ms) {
  json j = common(t);
  j["ttl"] = ttl_ms(t, timing, now_ms);
  j["pollInterval"] = timing.poll_interval_ms;
  return j;
}

json modern_task(const proto::TaskView& t, const TaskTiming& timing, std::int64_t now_ms) {
  json j = common(t);
  j["status"] = modern_status(t);
  j["ttlMs"] = ttl_ms(t, timing, now_ms);
  j["pollIntervalMs"] = timing.poll_interval_ms;
  return j;
}

}  // namespace bb::shim
