// Retention: finished tasks and their logs are removed by age and by the total size of their
// logs, oldest first, so that a long-lived daemon never fills the disk. Working tasks are never
// touched. Work is done in small batches posted to the daemon's loop, so pruning never holds up
// other clients; it runs at start, after a task ends (only when a limit is passed: checking is
// one query), and on request (task.prune).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "failure.h"
#include "protocol.h"
#include "task_manager.h"

namespace boost::asio {
class io_context;
}

namespace bb {

struct RetentionSettings {
  double keep_days = 30;                                // BACKBURNER_KEEP_DAYS
  std::uint64_t keep_bytes = 2ull * 1024 * 1024 * 1024;  // BACKBURNER_KEEP_BYTES
};

// The settings from the environment (invalid values are reported in `warnings` and ignored).
RetentionSettings retention_from_env(const EnvLookup& env, std::vector<std::string>* warnings);

class Retention final : public TaskListener {
 public:
  Retention(boost::asio::io_context& io, TaskManager& tasks, RetentionSettings settings);
  ~Retention() override;

  using Done = std::function<void(Outcome<proto::PruneResult>)>;
  // Removes finished tasks older than older_than_days (default: the setting), then the oldest
  // ones until their logs fit keep_bytes (default: the setting). dry_run removes nothing.
  void prune(const proto::PruneParams& params, Done done);
  // Prunes by the settings if a limit is passed (start-up; after a task ends).
  void prune_if_needed();

  const RetentionSettings& settings() const { return settings_; }

  // TaskListener
  void task_changed(const proto::TaskView& task) override;
  void task_removed(const std::string&) override {}

 private:
  struct Run;
  void step(std::shared_ptr<Run> run);

  boost::asio::io_context& io_;
  TaskManager& tasks_;
  RetentionSettings settings_;
  bool running_ = false;       // an automatic prune is under way
  bool check_pending_ = false;  // a check is posted
};

}  // namespace bb
