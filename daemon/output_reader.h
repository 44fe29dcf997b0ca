// Reading a task's output log (raw bytes, appended by the keeper while the task runs) as valid
// UTF-8 text, a bounded amount at a time: the last lines, or a byte range.
//
// Both reads take the log's size once and read up to it, so a log that grows meanwhile yields a
// consistent snapshot. Neither loads the whole log: a tail reads backwards from the end in
// blocks, a range read seeks. Memory is bounded by max_bytes plus one block.
//
// Boundaries never split a character: a read starts after the rest of a character begun before
// it and stops before a character it cannot finish, so that consecutive range reads (each
// starting at the previous next_offset) concatenate to exactly sanitize(whole log).
#pragma once

#include <boost/system/result.hpp>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace bb {

// A part of the log that is gone (the keeper cut a capped log's middle, see keeper/log_cut.h):
// reads never return its bytes but `marker` once, where it was.
struct LogGap {
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  std::string marker;
};

struct OutputChunk {
  // Valid UTF-8 (invalid bytes became U+FFFD), preceded by a gap's marker where one applies;
  // with Text::raw instead: the log's bytes as they are, without the marker (see `marker`).
  std::string text;
  std::uint64_t offset = 0;       // log offset of the first byte behind `text`
  std::uint64_t next_offset = 0;  // log offset just past the last byte behind `text`
  std::uint64_t total_bytes = 0;  // the log's size when it was read
  bool truncated = false;         // see each read
  bool marker = false;            // a gap's marker comes first (or, for a range, alone)
};

// What `text` holds: sanitized UTF-8 with any marker, or the raw bytes (for a caller that
// renders them itself, e.g. bb::text's cleaner, and needs every byte's offset).
enum class Text { sanitized, raw };

// max_bytes counts log bytes. `text` can be longer than the bytes behind it: each invalid
// byte becomes the three bytes of U+FFFD.

// The last `lines` lines of the log. A final line without '\n' counts as a line; a trailing
// '\n' does not start an extra empty line; "\r\n" is kept as is. If those lines exceed
// max_bytes, only their last max_bytes bytes are returned, starting at a character boundary.
// truncated: earlier output exists before `offset`.
// Unless `final` (the writer is done), an unfinished character at the very end of the log is
// left out as if not yet written, and next_offset points at its first byte; with `final` it
// becomes U+FFFD. next_offset is where a following read_range continues.
boost::system::result<OutputChunk> read_tail(const std::filesystem::path& file, std::uint32_t lines,
                                             std::uint64_t max_bytes, bool final = false);

// Bytes [offset, offset + max_bytes) clipped to the log's size (an offset past the end reads
// as the end). Never starts inside a character: bytes finishing a character begun before
// `offset` are skipped and `offset` advances past them. Never ends inside one: it stops
// before an unfinished trailing character and next_offset points at its first byte, so the
// next read gets it whole; except when `final` and the unfinished bytes end the log: then they
// are returned as U+FFFD. If max_bytes (> 0) is too small to hold the first character, that
// one character is returned anyway (up to 3 bytes over max_bytes) so every read makes
// progress. truncated: more bytes exist past next_offset.
boost::system::result<OutputChunk> read_range(const std::filesystem::path& file,
                                              std::uint64_t offset, std::uint64_t max_bytes,
                                              bool final);

// Tails read backwards in blocks of this many bytes.
inline constexpr std::size_t kTailBlockBytes = 64 * 1024;

// The reader's OS seam: a log opened for reading, its size taken once when opened.
class LogFile {
 public:
  virtual ~LogFile() = default;
  virtual std::uint64_t size() const = 0;
  // Fills `out` with the bytes at [offset, offset + out.size()).
  // REQUIRES: offset + out.size() <= size().
  virtual boost::system::result<void> read_at(std::uint64_t offset, std::span<char> out) = 0;
};

// Opens `file` for reading. A missing file is an empty log (the task may not have written
// yet), not an error. Implemented once per platform (output_reader_<platform>.cpp).
boost::system::result<std::unique_ptr<LogFile>> open_log(const std::filesystem::path& file);

// The reads above, on an opened log.
// With a gap: a tail never reaches back past the gap's end (it begins with the marker when it
// would have); a range read stops at the gap's start, and one that starts inside the gap
// returns the marker alone with next_offset at the gap's end.
boost::system::result<OutputChunk> read_tail(LogFile& log, std::uint32_t lines,
                                             std::uint64_t max_bytes, bool final = false,
                                             const LogGap* gap = nullptr,
                                             Text text = Text::sanitized);
boost::system::result<OutputChunk> read_range(LogFile& log, std::uint64_t offset,
                                              std::uint64_t max_bytes, bool final,
                                              const LogGap* gap = nullptr,
                                              Text text = Text::sanitized);
// The first `lines` lines (a final line without '\n' counts), at most max_bytes bytes, ending
// on a character boundary like read_range. truncated: more bytes exist past next_offset.
boost::system::result<OutputChunk> read_head(LogFile& log, std::uint32_t lines,
                                             std::uint64_t max_bytes, bool final,
                                             const LogGap* gap = nullptr,
                                             Text text = Text::sanitized);

}  // namespace bb
