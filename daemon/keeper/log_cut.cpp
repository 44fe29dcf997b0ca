#include "log_cut.h"

#include <algorithm>

#include <charconv>
#include <string_view>

#include "file_io.h"
#include "keeper_files.h"

namespace bb::keeper {

std::optional<LogCut> read_log_cut(const std::filesystem::path& task_dir) {
  auto text = fileio::read_small_file(task_dir / kCutFile, 4096);
  if (!text) return std::nullopt;
  LogCut c;
  std::string_view rest = *text;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    if (key == "head_end") c.head_end = v;
    if (key == "tail_start") c.tail_start = v;
    if (key == "cap") c.cap = v;
  }
  if (c.empty()) return std::nullopt;
  return c;
}

bool write_log_cut(const std::filesystem::path& task_dir, const LogCut& c) {
  const std::string text = "head_end=" + std::to_string(c.head_end) +
                           "\ntail_start=" + std::to_string(c.tail_start) +
                           "\ncap=" + std::to_string(c.cap) + "\n";
  return !fileio::replace_file(task_dir / kCutFile, text);
}

namespace {
std::string size_text(std::uint64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  std::uint64_t v = bytes;
  while (u < 4 && v >= 1024 && v % 1024 == 0) {
    v /= 1024;
    ++u;
  }
  return std::to_string(v) + " " + units[u];
}
}  // namespace

std::string cut_marker(const LogCut& c) {
  return "\n[backburner: " + std::to_string(c.bytes_cut()) +
         " bytes of output were cut here; the log is capped at " + size_text(c.cap) +
         ": its first and its latest output are kept]\n";
}

std::uint64_t effective_log_cap(std::uint64_t cap) {
  return std::max<std::uint64_t>(cap, 4 * kLogCutAlign);
}

std::optional<LogCut> next_log_cut(const LogCut& made, std::uint64_t size, std::uint64_t cap) {
  const auto align_down = [](std::uint64_t v) { return v / kLogCutAlign * kLogCutAlign; };
  const std::uint64_t head = align_down(cap / 2);
  const std::uint64_t kept =
      made.empty() ? size : made.head_end + (size - std::min(size, made.tail_start));
  if (kept <= cap + cap / 8) return std::nullopt;
  LogCut next;
  next.head_end = head;
  next.tail_start = std::max(head, align_down(size - (cap - head)));
  next.cap = cap;
  if (next.tail_start <= made.tail_start) return std::nullopt;
  return next;
}

}  // namespace bb::keeper
