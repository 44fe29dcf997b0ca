// Keeps a task's output.log within a cap while the task writes it, without getting in its way.
// The shell appends straight to the file (nothing is piped through the keeper); when the file
// grows past the cap, the keeper punches the middle out of it (FALLOC_FL_PUNCH_HOLE): the first
// half of the cap stays, the newest output stays, and the disk blocks in between are freed.
// File offsets never change, so every reader's offsets stay valid; `output.cut` (keeper_files.h,
// written before each punch) names the range that is gone, and readers show a marker there.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "log_cut.h"

namespace bb::keeper {

class LogCap {
 public:
  // `cap` > 0. The log need not exist yet.
  LogCap(std::filesystem::path task_dir, std::uint64_t cap);

  // Looks at the log's size and cuts when it has passed the cap by more than a slack (so a
  // steady writer triggers a cut per cap/8 of output, not per write). Cheap when under it.
  void check();

  const LogCut& cut() const { return cut_; }
  // Why the last cut failed (the file system cannot punch holes, say); empty if none did.
  const std::string& error() const { return error_; }

 private:
  std::filesystem::path task_dir_;
  std::uint64_t cap_;
  LogCut cut_;
  std::string error_;
};

}  // namespace bb::keeper
