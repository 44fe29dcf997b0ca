#include "task_output.h"

#include <thread>

namespace bb::cli {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// Bytes per range read: large enough that a fast writer is drained in few calls.
constexpr std::uint64_t kChunkBytes = 1024 * 1024;
// A follower also reads after this long without any event: it costs nothing while the task
// writes, and covers a daemon restart between two events (the subscription is renewed then).
constexpr milliseconds kQuietRead{30000};
constexpr int kResubscribeAttempts = 10;
constexpr milliseconds kResubscribePause{200};

std::variant<proto::OutputResult, RpcError> read_at(DaemonLink& link, const std::string& id,
                                                    std::uint64_t offset) {
  proto::OutputParams p;
  p.task_id = id;
  p.offset = offset;
  p.max_bytes = kChunkBytes;
  return read_output(link, p);
}

// The second connection of a follower: subscribed to one task's changes and output growth.
std::variant<DaemonLink, std::string> subscribed_link(const EnvLookup& env,
                                                      const std::string& task_id) {
  auto opened = DaemonLink::open(env, Autostart::yes);
  if (auto* e = std::get_if<LinkError>(&opened)) return e->message;
  DaemonLink link = std::get<DaemonLink>(std::move(opened));
  proto::SubscribeParams p;
  p.task_ids = {task_id};
  p.output = true;
  auto answer = link.call(proto::method::kEventsSubscribe, json(p));
  if (auto* e = std::get_if<RpcError>(&answer)) return describe(*e);
  return link;
}

}  // namespace

std::variant<proto::OutputResult, RpcError> read_output(DaemonLink& link,
                                                        const proto::OutputParams& params) {
  auto answer = link.call(proto::method::kTaskOutput, json(params));
  if (auto* e = std::get_if<RpcError>(&answer)) return *e;
  return std::get<json>(answer).get<proto::OutputResult>();
}

std::variant<proto::OutputResult, RpcError> read_tail(DaemonLink& link, const std::string& task_id,
                                                      int lines) {
  proto::OutputParams p;
  p.task_id = task_id;
  p.tail_lines = lines;
  p.max_bytes = proto::kMaxMaxBytes;
  return read_output(link, p);
}

std::variant<std::uint64_t, RpcError> read_range(DaemonLink& link, const std::string& task_id,
                                                 std::uint64_t offset, const OutputSink& sink) {
  std::optional<std::uint64_t> end;
  for (;;) {
    auto got = read_at(link, task_id, offset);
    if (auto* e = std::get_if<RpcError>(&got)) return *e;
    const auto& r = std::get<proto::OutputResult>(got);
    if (!end) end = r.output_bytes;
    if (!r.output.empty() && !sink(r.output)) return r.next_offset;
    const bool progressed = r.next_offset > offset;
    offset = r.next_offset;
    if (!progressed || offset >= *end) return offset;
  }
}

std::optional<std::string> follow_output(DaemonLink& link, const EnvLookup& env,
                                         const std::string& task_id, std::uint64_t offset,
                                         const OutputSink& sink) {
  // Subscribed before the first read, so no write or end after that read goes unnoticed.
  auto events = subscribed_link(env, task_id);
  if (auto* err = std::get_if<std::string>(&events)) return *err;
  for (;;) {
    auto got = read_at(link, task_id, offset);
    if (auto* e = std::get_if<RpcError>(&got)) return describe(*e);
    const auto& r = std::get<proto::OutputResult>(got);
    if (!r.output.empty() && !sink(r.output)) return std::nullopt;
    const bool progressed = r.next_offset > offset;
    offset = r.next_offset;
    // More is already there: read on at once. (A read that made no progress is waiting for
    // the rest of a UTF-8 character: that needs more bytes, so it waits like the others.)
    if (progressed && offset < r.output_bytes) continue;
    // Ended, and everything read: done. The status comes with the same read as the bytes.
    if (proto::is_terminal(r.status) && (offset >= r.output_bytes || !progressed))
      return std::nullopt;
    // Sleep until the daemon says something changed. Several events may be queued: one read
    // answers them all, so drain what is already there without waiting.
    auto* sub = &std::get<DaemonLink>(events);
    auto event = sub->next_event(kQuietRead);
    while (std::holds_alternative<json>(event)) event = sub->next_event(milliseconds(0));
    if (std::holds_alternative<RpcError>(event)) {
      // The daemon went away (restarted, say): subscribe to its successor and read again. A
      // daemon that is stopping still holds the state dir for a moment: a few tries.
      for (int attempt = 0;; ++attempt) {
        events = subscribed_link(env, task_id);
        if (std::holds_alternative<DaemonLink>(events) || attempt == kResubscribeAttempts) break;
        std::this_thread::sleep_for(kResubscribePause);
      }
      if (auto* err = std::get_if<std::string>(&events)) return *err;
    }
  }
}

}  // namespace bb::cli
