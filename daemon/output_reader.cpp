#include "output_reader.h"

#include <algorithm>
#include <string_view>

#include "utf8.h"

namespace bb {

namespace {

using boost::system::result;

// Offset just past the `lines`-th '\n' counting back from `end`, scanning no lower than
// `floor`; `floor` if there are not that many. The byte at end - 1 is not scanned: if it is
// '\n' it closes the last line instead of starting an empty one. REQUIRES: lines > 0.
result<std::uint64_t> find_lines_start(LogFile& log, std::uint64_t end, std::uint64_t floor,
                                       std::uint32_t lines) {
  std::uint64_t pos = end > floor ? end - 1 : floor;
  if (pos <= floor) return floor;
  std::string block(static_cast<std::size_t>(std::min<std::uint64_t>(kTailBlockBytes, pos - floor)),
                    '\0');
  while (pos > floor) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), pos - floor));
    pos -= n;
    if (auto r = log.read_at(pos, {block.data(), n}); !r) return r.error();
    const std::string_view v(block.data(), n);
    for (std::size_t i = v.rfind('\n'); i != std::string_view::npos; i = v.rfind('\n', i - 1)) {
      if (--lines == 0) return pos + i + 1;
      if (i == 0) break;
    }
  }
  return floor;
}

result<std::string> read_bytes(LogFile& log, std::uint64_t from, std::uint64_t to) {
  std::string raw(static_cast<std::size_t>(to - from), '\0');
  if (auto r = log.read_at(from, {raw.data(), raw.size()}); !r) return r.error();
  return raw;
}

}  // namespace

result<OutputChunk> read_tail(LogFile& log, std::uint32_t lines, std::uint64_t max_bytes,
                              bool final, const LogGap* gap, Text form) {
  const std::uint64_t size = log.size();
  // Nothing of the gap is output; the tail's lines come from after it.
  const std::uint64_t gap_end = gap != nullptr && gap->to <= size ? gap->to : 0;
  std::uint64_t end = size;
  if (!final && size > 0) {
    // A character the writer has begun but not finished is not output yet.
    auto last = read_bytes(log, size - std::min<std::uint64_t>(3, size), size);
    if (!last) return last.error();
    end -= utf8::incomplete_tail(*last);
  }

  // The text may start no lower than `limit`; finding a boundary there needs 3 bytes before.
  const std::uint64_t limit = std::max(gap_end, end > max_bytes ? end - max_bytes : 0);
  const std::uint64_t floor = std::max(gap_end, limit > 3 ? limit - 3 : 0);
  std::uint64_t start = end;
  if (lines > 0) {
    auto found = find_lines_start(log, end, floor, lines);
    if (!found) return found.error();
    start = *found;
  }

  const bool capped = start < limit;
  const std::uint64_t from = capped ? floor : start;
  auto raw = read_bytes(log, from, end);
  if (!raw) return raw.error();
  std::string_view text = *raw;
  if (capped) {
    const std::string_view before = text.substr(0, limit - floor);
    const std::string_view after = text.substr(limit - floor);
    text = after.substr(utf8::leading_continuations(before, after));
    start = end - text.size();
  }

  OutputChunk chunk;
  chunk.marker = gap_end > 0 && start <= gap_end && !capped;
  if (form == Text::raw)
    chunk.text = std::string(text);
  else
    chunk.text = (chunk.marker ? gap->marker : std::string()) + utf8::sanitize(text);
  chunk.offset = start;
  chunk.next_offset = end;
  chunk.total_bytes = size;
  chunk.truncated = start > 0;
  return chunk;
}

result<OutputChunk> read_head(LogFile& log, std::uint32_t lines, std::uint64_t max_bytes,
                              bool final, const LogGap* gap, Text form) {
  const std::uint64_t size = log.size();
  std::uint64_t limit = std::min(size, max_bytes);
  if (gap != nullptr && gap->from < limit) limit = gap->from;
  // The end of the `lines`-th line, scanning forward in blocks, no further than `limit`.
  std::uint64_t end = limit;
  std::string block;
  for (std::uint64_t pos = 0; pos < limit && lines > 0;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kTailBlockBytes, limit - pos));
    block.resize(n);
    if (auto r = log.read_at(pos, {block.data(), n}); !r) return r.error();
    for (std::size_t i = block.find('\n'); i != std::string::npos; i = block.find('\n', i + 1)) {
      if (--lines == 0) {
        end = pos + i + 1;
        break;
      }
    }
    pos += n;
  }
  auto chunk = read_range(log, 0, end, final && end == size, nullptr, form);
  if (!chunk) return chunk;
  chunk->truncated = chunk->next_offset < size;
  return chunk;
}

result<OutputChunk> read_range(LogFile& log, std::uint64_t offset, std::uint64_t max_bytes,
                               bool final, const LogGap* gap, Text form) {
  const std::uint64_t size = log.size();
  offset = std::min(offset, size);
  if (gap != nullptr && offset >= gap->from && offset < gap->to && gap->to <= size) {
    OutputChunk chunk;
    chunk.marker = true;
    if (form == Text::sanitized) chunk.text = gap->marker;
    chunk.offset = offset;
    chunk.next_offset = gap->to;
    chunk.total_bytes = size;
    chunk.truncated = gap->to < size;
    return chunk;
  }
  std::uint64_t end = offset + std::min(max_bytes, size - offset);
  if (gap != nullptr && offset < gap->from && end > gap->from) end = gap->from;
  const bool at_eof = end == size;
  // Up to 3 bytes either side of the range: enough to see a character cut by either edge.
  const std::uint64_t lo = offset > 3 ? offset - 3 : 0;
  const std::uint64_t hi = std::min(size, end + 3);
  auto raw = read_bytes(log, lo, hi);
  if (!raw) return raw.error();
  const std::string_view all = *raw;

  // Positions below are indices into `all`.
  const std::size_t first = offset - lo;
  const std::size_t last = end - lo;
  const std::size_t begin =
      first + utf8::leading_continuations(all.substr(0, first), all.substr(first));
  std::size_t stop = begin;
  if (begin < last) {
    const std::string_view window = all.substr(begin, last - begin);
    stop = final && at_eof ? last : last - utf8::incomplete_tail(window);
    if (stop == begin && !at_eof) {
      // max_bytes cannot hold the first character: return that one character whole.
      const std::string_view rest = all.substr(begin);
      if (hi == size && utf8::incomplete_tail(rest) == rest.size())
        stop = final ? all.size() : begin;  // it is still being written, unless final
      else
        stop = begin + utf8::unit_length(rest);
    }
  }

  OutputChunk chunk;
  const std::string_view bytes = all.substr(begin, stop - begin);
  chunk.text = form == Text::raw ? std::string(bytes) : utf8::sanitize(bytes);
  chunk.offset = lo + begin;
  chunk.next_offset = lo + stop;
  chunk.total_bytes = size;
  chunk.truncated = chunk.next_offset < size;
  return chunk;
}

result<OutputChunk> read_tail(const std::filesystem::path& file, std::uint32_t lines,
                              std::uint64_t max_bytes, bool final) {
  auto log = open_log(file);
  if (!log) return log.error();
  return read_tail(**log, lines, max_bytes, final, nullptr);
}

result<OutputChunk> read_range(const std::filesystem::path& file, std::uint64_t offset,
                               std::uint64_t max_bytes, bool final) {
  auto log = open_log(file);
  if (!log) return log.error();
  return read_range(**log, offset, max_bytes, final, nullptr);
}

}  // namespace bb
