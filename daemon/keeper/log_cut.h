// The record of a capped log's missing middle (`output.cut` in the task dir), shared by the
// keeper that cuts and the daemon that reads. Text, `key=value` per line:
//   head_end=H     bytes [0, H) are the log's first output, kept
//   tail_start=T   bytes [H, T) were cut (they read as NUL on disk); [T, size) are kept
//   cap=C          the cap in force
// Absent: nothing was cut.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace bb::keeper {

struct LogCut {
  std::uint64_t head_end = 0;
  std::uint64_t tail_start = 0;
  std::uint64_t cap = 0;
  bool empty() const { return tail_start <= head_end; }
  std::uint64_t bytes_cut() const { return empty() ? 0 : tail_start - head_end; }
  friend bool operator==(const LogCut&, const LogCut&) = default;
};

// Cuts fall on multiples of this (a multiple of any file system's block or cluster size); a
// cap is at least four of them.
inline constexpr std::uint64_t kLogCutAlign = 64 * 1024;
std::uint64_t effective_log_cap(std::uint64_t cap);

// The cut a log of `size` bytes needs under `cap` (effective_log_cap), given the cut already
// made (`made`, empty if none): the first half of the cap stays, the newest output stays, and
// the log may pass the cap by a slack of cap/8 first (so a steady writer triggers a cut per
// cap/8 of output, not per write). nullopt: none is due.
std::optional<LogCut> next_log_cut(const LogCut& made, std::uint64_t size, std::uint64_t cap);

std::optional<LogCut> read_log_cut(const std::filesystem::path& task_dir);
bool write_log_cut(const std::filesystem::path& task_dir, const LogCut& cut);

// The line a reader shows where the cut was, e.g.
// "[backburner: 812345678 bytes of output were cut here; the log is capped at 1 GiB]".
std::string cut_marker(const LogCut& cut);

}  // namespace bb::keeper
