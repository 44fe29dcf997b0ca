#include "log_progress.h"

#include <algorithm>
#include <string>

#include "output_reader.h"
#include "output_text.h"
#include "progress.h"

namespace bb {

std::optional<proto::Progress> progress_of(LogFile& log) {
  const std::uint64_t size = log.size();
  if (size == 0) return std::nullopt;
  const std::uint64_t from = size - std::min(size, kProgressTailBytes);
  std::string raw(static_cast<std::size_t>(size - from), '\0');
  if (!log.read_at(from, {raw.data(), raw.size()})) return std::nullopt;
  // Start at a line: the first (probably partial) line of the window says nothing reliable.
  if (from > 0) {
    const auto nl = raw.find('\n');
    raw.erase(0, nl == std::string::npos ? raw.size() : nl + 1);
  }
  // The latest state as a terminal shows it now: a line ended by \r is complete, not pending.
  const auto cleaned = text::clean_forward(raw, raw.size() + 1, true);
  const auto p = parse_progress(cleaned.text);
  if (!p) return std::nullopt;
  proto::Progress out;
  out.percent = p->percent;
  out.current = p->current;
  out.total = p->total;
  out.message = p->message;
  return out;
}

std::optional<proto::Progress> progress_of(const std::filesystem::path& log) {
  auto opened = open_log(log);
  if (!opened) return std::nullopt;
  return progress_of(**opened);
}

}  // namespace bb
