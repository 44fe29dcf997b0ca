#include "task_output.h"

#include <atomic>
#include <thread>

#include "output_watch.h"

namespace bb::cli {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// Bytes per range read: large enough that a fast writer is drained in few calls.
constexpr std::uint64_t kChunkBytes = 1024 * 1024;
// Where the log cannot be watched, or a notification was missed, the follower still re-reads
// this often; with a working watch it normally wakes on writes long before.
constexpr milliseconds kSafetyWake{2000};
// task.wait slices of the waiter thread (the daemon's maximum), and the margin its answer may take.
constexpr double kWaitSliceSeconds = proto::kMaxWaitSeconds;
constexpr milliseconds kWaitAnswerMargin{60000};

std::variant<proto::OutputResult, RpcError> read_at(DaemonLink& link, const std::string& id,
                                                    std::uint64_t offset) {
  auto answer = link.call(proto::method::kTaskOutput,
                          json{{"task_id", id}, {"offset", offset}, {"max_bytes", kChunkBytes}});
  if (auto* e = std::get_if<RpcError>(&answer)) return *e;
  return std::get<json>(answer).get<proto::OutputResult>();
}

// Waits, on a connection of its own, for a task to end (task.wait in long slices), then wakes
// the follower. The thread touches only its own connection and the atomics; the destructor
// interrupts a wait still in progress (through the connection's interrupt handle, which stays
// valid whatever the thread does with its own) and joins.
class TaskEndWaiter {
 public:
  TaskEndWaiter(DaemonLink link, std::string task_id, OutputWatch& watch)
      : interrupt_(link.interrupt_handle()) {
    thread_ = std::thread([this, l = std::move(link), id = std::move(task_id), &watch]() mutable {
      while (!stopping_) {
        auto answer = l.call(
            proto::method::kTaskWait,
            json{{"task_ids", {id}}, {"timeout_seconds", kWaitSliceSeconds}},
            milliseconds(static_cast<long long>(kWaitSliceSeconds * 1000)) + kWaitAnswerMargin);
        if (std::holds_alternative<RpcError>(answer)) {
          failed_ = true;
          break;
        }
        if (std::get<json>(answer).value("all_finished", false)) {
          ended_ = true;
          break;
        }
      }
      watch.notify();
    });
  }
  TaskEndWaiter(const TaskEndWaiter&) = delete;
  TaskEndWaiter& operator=(const TaskEndWaiter&) = delete;

  ~TaskEndWaiter() {
    stopping_ = true;
    if (interrupt_) interrupt_->fire();
    thread_.join();
  }

  bool ended() const { return ended_; }
  bool failed() const { return failed_; }

 private:
  std::shared_ptr<ConnectionInterrupt> interrupt_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> ended_{false};
  std::atomic<bool> failed_{false};
  std::thread thread_;
};

}  // namespace

std::variant<proto::OutputResult, RpcError> read_tail(DaemonLink& link, const std::string& task_id,
                                                      int lines) {
  auto answer = link.call(
      proto::method::kTaskOutput,
      json{{"task_id", task_id}, {"tail_lines", lines}, {"max_bytes", proto::kMaxMaxBytes}});
  if (auto* e = std::get_if<RpcError>(&answer)) return *e;
  return std::get<json>(answer).get<proto::OutputResult>();
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
                                         const std::filesystem::path& task_dir,
                                         const OutputSink& sink) {
  // The watch exists before the first read, so no write after that read goes unnoticed.
  auto watch = OutputWatch::create(task_dir, nullptr);
  auto second = DaemonLink::open(env, Autostart::no);
  if (auto* e = std::get_if<LinkError>(&second)) return e->message;
  TaskEndWaiter waiter(std::get<DaemonLink>(std::move(second)), task_id, *watch);
  bool reread_after_end = false;
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
    // The waiter saw the end after this read was answered: read once more to drain.
    if (waiter.ended() && !reread_after_end) {
      reread_after_end = true;
      continue;
    }
    watch->wait(kSafetyWake);
  }
}

}  // namespace bb::cli
