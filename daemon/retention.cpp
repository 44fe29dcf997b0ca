#include "retention.h"

#include <cmath>
#include <cstdlib>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "daemon_log.h"
#include "iso_time.h"

namespace bb {

namespace fs = std::filesystem;

namespace {
// Removals per turn of the loop: deleting a task dir is one unlink per file.
constexpr int kBatch = 20;
constexpr std::size_t kMaxListedIds = 1000;
constexpr double kMsPerDay = 86400.0 * 1000.0;
}  // namespace

RetentionSettings retention_from_env(const EnvLookup& env, std::vector<std::string>* warnings) {
  RetentionSettings s;
  if (auto v = env("BACKBURNER_KEEP_DAYS")) {
    char* end = nullptr;
    const double d = std::strtod(v->c_str(), &end);
    if (end == v->c_str() || *end != '\0' || !std::isfinite(d) || d < 0 || d > 36500) {
      if (warnings) warnings->push_back("BACKBURNER_KEEP_DAYS=" + *v + " is not a number of days "
                                        "from 0 to 36500; keeping the default of 30");
    } else {
      s.keep_days = d;
    }
  }
  if (auto v = env("BACKBURNER_KEEP_BYTES")) {
    // A byte count, optionally with a K/M/G/T suffix (powers of 1024).
    char* end = nullptr;
    const double d = std::strtod(v->c_str(), &end);
    double scale = 1;
    std::string suffix = end ? std::string(end) : "";
    if (suffix == "K" || suffix == "KiB" || suffix == "KB") scale = 1024.0;
    if (suffix == "M" || suffix == "MiB" || suffix == "MB") scale = 1024.0 * 1024;
    if (suffix == "G" || suffix == "GiB" || suffix == "GB") scale = 1024.0 * 1024 * 1024;
    if (suffix == "T" || suffix == "TiB" || suffix == "TB") scale = 1024.0 * 1024 * 1024 * 1024;
    const bool known = suffix.empty() || scale != 1;
    if (end == v->c_str() || !known || !std::isfinite(d) || d < 0) {
      if (warnings) warnings->push_back("BACKBURNER_KEEP_BYTES=" + *v + " is not a size (e.g. "
                                        "2G, 500M); keeping the default of 2G");
    } else {
      s.keep_bytes = static_cast<std::uint64_t>(d * scale);
    }
  }
  return s;
}

struct Retention::Run {
  std::int64_t cutoff_ms = 0;  // finished before this: removed
  std::uint64_t keep_bytes = 0;
  bool dry_run = false;
  bool automatic = false;
  std::uint64_t total = 0;  // log bytes of the finished tasks still there
  proto::PruneResult result;
  Done done;
};

Retention::Retention(boost::asio::io_context& io, TaskManager& tasks, RetentionSettings settings)
    : io_(io), tasks_(tasks), settings_(settings) {}

Retention::~Retention() = default;

void Retention::task_changed(const proto::TaskView& task) {
  if (!proto::is_terminal(task.status) || check_pending_ || running_) return;
  check_pending_ = true;
  boost::asio::post(io_, [this] {
    check_pending_ = false;
    prune_if_needed();
  });
}

void Retention::prune_if_needed() {
  if (running_) return;
  try {
    auto oldest = tasks_.store().finished_oldest_first(1);
    if (oldest.empty()) return;
    const bool too_old =
        oldest.front().finished_at_ms <
        now_ms() - static_cast<std::int64_t>(settings_.keep_days * kMsPerDay);
    const bool too_big = tasks_.store().finished_output_bytes() > settings_.keep_bytes;
    if (!too_old && !too_big) return;
  } catch (const std::exception& e) {
    daemon_log(std::string("retention: cannot check: ") + e.what());
    return;
  }
  running_ = true;
  proto::PruneParams p;
  prune(p, [this](Outcome<proto::PruneResult> r) {
    running_ = false;
    if (const auto* res = std::get_if<proto::PruneResult>(&r)) {
      if (res->removed > 0)
        daemon_log("retention: removed " + std::to_string(res->removed) + " finished task(s), " +
                   std::to_string(res->freed_bytes) + " bytes of logs");
    } else {
      daemon_log("retention: " + std::get<Failure>(r).message);
    }
  });
}

void Retention::prune(const proto::PruneParams& params, Done done) {
  auto run = std::make_shared<Run>();
  const double days = params.older_than_days.value_or(settings_.keep_days);
  run->cutoff_ms = now_ms() - static_cast<std::int64_t>(days * kMsPerDay);
  run->keep_bytes = params.keep_bytes.value_or(settings_.keep_bytes);
  run->dry_run = params.dry_run;
  run->done = std::move(done);
  try {
    run->total = tasks_.store().finished_output_bytes();
  } catch (const std::exception& e) {
    return run->done(store_failure(e, "cannot prune"));
  }
  step(std::move(run));
}

void Retention::step(std::shared_ptr<Run> run) {
  try {
    // Oldest first: each batch removes what is too old, or (while the logs are over the size
    // limit) the oldest regardless of age. A dry run walks the same order without removing,
    // so it pages past what it has counted; a real run always takes the head of what is left.
    const auto batch = tasks_.store().finished_oldest_first(
        kBatch, run->dry_run ? static_cast<int>(run->result.removed) : 0);
    std::size_t taken = 0;
    for (const auto& c : batch) {
      const bool too_old = c.finished_at_ms < run->cutoff_ms;
      const bool too_big = run->total > run->keep_bytes;
      if (!too_old && !too_big) break;
      if (!run->dry_run) {
        // The files first: a crash in between leaves a task without its log, never a log that
        // nothing refers to.
        std::error_code ec;
        fs::remove_all(task_dir(tasks_.paths(), c.id), ec);
        if (ec)
          daemon_log("retention: cannot remove the files of task " + c.id + ": " + ec.message());
        tasks_.store().remove(c.id);
        tasks_.removed(c.id);
      }
      run->total -= std::min(run->total, c.output_bytes);
      run->result.freed_bytes += c.output_bytes;
      ++run->result.removed;
      if (run->result.task_ids.size() < kMaxListedIds) run->result.task_ids.push_back(c.id);
      ++taken;
    }
    if (taken == batch.size() && batch.size() == static_cast<std::size_t>(kBatch)) {
      boost::asio::post(io_, [this, run] { step(run); });
      return;
    }
    run->result.kept_bytes = run->total;
    run->done(run->result);
  } catch (const std::exception& e) {
    run->done(store_failure(e, "pruning stopped"));
  }
}

}  // namespace bb
