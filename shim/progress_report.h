// The values of the notifications/progress a call sends while it waits for tasks (wait_task,
// and the progress of a task-augmented start_task), from the tasks' own parsed progress.
//
// MCP requires `progress` to increase with every notification of a token. The units are chosen
// at the first notification and kept:
// - task units, when a waited task shows progress then: one task's own (current of total, or
//   percent of 100); for several tasks the sum of their done fractions (an ended task counts 1,
//   a working one its fraction, or 0) of the number of tasks;
// - wait units otherwise: seconds waited of the wait's budget (no total for a task's life).
// A value that would not increase (progress stood still or went back, e.g. a new phase) is
// sent as the last value plus kProgressStep, so a notification still goes out to keep the
// client's request timer alive, and the value never runs ahead of the truth by more than
// kProgressStep per notification.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocol.h"

namespace bb::shim {

inline constexpr double kProgressStep = 0.001;

struct ProgressNote {
  double progress = 0;
  std::optional<double> total;
  std::string message;
};

class WaitProgress {
 public:
  // `budget_seconds`: the wait's budget (the total in wait units); nullopt: none.
  explicit WaitProgress(std::optional<double> budget_seconds) : budget_(budget_seconds) {}

  // The next notification for these tasks' state after `waited` seconds.
  ProgressNote next(const std::vector<proto::TaskView>& tasks, double waited);

  // The value candidate alone (no monotonic step), in task units; nullopt without progress.
  static std::optional<ProgressNote> task_units(const std::vector<proto::TaskView>& tasks);

 private:
  enum class Units { unset, task, wait };
  Units units_ = Units::unset;
  std::optional<double> budget_;
  std::optional<double> last_;
};

}  // namespace bb::shim
