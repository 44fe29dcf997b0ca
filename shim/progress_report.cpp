#include "progress_report.h"

#include <algorithm>
#include <cmath>

#include "task_json.h"

namespace bb::shim {

namespace {

double round3(double v) { return std::round(v * 1000) / 1000; }

// A working task's done fraction, when its progress says.
std::optional<double> fraction(const proto::TaskView& t) {
  if (proto::is_terminal(t.status)) return 1.0;
  if (!t.progress) return std::nullopt;
  if (t.progress->current && t.progress->total && *t.progress->total > 0)
    return std::clamp(static_cast<double>(*t.progress->current) / *t.progress->total, 0.0, 1.0);
  if (t.progress->percent) return std::clamp(*t.progress->percent / 100.0, 0.0, 1.0);
  return std::nullopt;
}

std::string describe(const std::vector<proto::TaskView>& tasks, double waited) {
  std::size_t working = 0;
  std::string shown;
  for (const auto& t : tasks) {
    if (proto::is_terminal(t.status)) continue;
    ++working;
    if (shown.empty() && t.progress) {
      if (auto w = progress_words(*t.progress); !w.empty()) shown = t.task_id + ": " + w;
    }
  }
  std::string s = std::to_string(working) + " of " + std::to_string(tasks.size()) +
                  " task(s) still working after " + seconds_text(waited);
  if (!shown.empty()) s += "; " + shown;
  return s;
}

}  // namespace

std::optional<ProgressNote> WaitProgress::task_units(const std::vector<proto::TaskView>& tasks) {
  if (tasks.empty()) return std::nullopt;
  if (tasks.size() == 1) {
    const auto& t = tasks.front();
    if (!t.progress) return std::nullopt;
    if (t.progress->current && t.progress->total && *t.progress->total > 0)
      return ProgressNote{static_cast<double>(*t.progress->current),
                          static_cast<double>(*t.progress->total), ""};
    if (t.progress->percent) return ProgressNote{*t.progress->percent, 100.0, ""};
    return std::nullopt;
  }
  bool any = false;
  double sum = 0;
  for (const auto& t : tasks) {
    const auto f = fraction(t);
    any = any || (f && !proto::is_terminal(t.status));
    sum += f.value_or(0.0);
  }
  if (!any) return std::nullopt;
  return ProgressNote{sum, static_cast<double>(tasks.size()), ""};
}

ProgressNote WaitProgress::next(const std::vector<proto::TaskView>& tasks, double waited) {
  auto in_task_units = task_units(tasks);
  if (units_ == Units::unset) units_ = in_task_units ? Units::task : Units::wait;
  ProgressNote note;
  if (units_ == Units::task) {
    if (in_task_units) {
      note = *in_task_units;
    } else {
      note.progress = last_.value_or(0);
    }
  } else {
    note.progress = waited;
    note.total = budget_;
  }
  note.progress = round3(note.progress);
  if (last_ && note.progress < *last_ + kProgressStep)
    note.progress = round3(*last_ + kProgressStep);
  last_ = note.progress;
  note.message = describe(tasks, waited);
  return note;
}

}  // namespace bb::shim
