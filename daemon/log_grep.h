// Grep over a task's output log (raw bytes, any size) without loading it, in steps: the
// daemon runs one step per turn of its loop, each bounded in bytes (step_bytes_within() sizes
// it for a time bound), so a scan of a gigabyte never keeps other clients waiting. Pure logic
// over the LogFile seam (output_reader.h); no Asio.
//
// Lines are split on '\n'; a trailing '\r' is not part of the line, and a last line without
// '\n' counts. The pattern (RE2 syntax) is searched in each line: ^ and $ match at the line's
// start and end. A line longer than kGrepLineCap bytes is matched on its first kGrepLineCap
// bytes ($ does not match at that cut). Bytes that are not valid UTF-8 match no pattern
// character, not even "."; results carry sanitized UTF-8.
//
// Context is grep -C N's: N lines before and after each matching line, a line appearing once
// (as a match, or as context of the nearest match), the two kept apart. After max_matches
// matching lines the scan stops once the last one's after-context is complete (those lines are
// context even if they match, as with grep -m).
//
// How it is fast: each block of complete lines is searched with one RE2 pass (multi-line, and
// never across a '\n'); only the lines where it finds a match are matched again alone (to
// confirm, and to place the match). A pattern that matches nothing costs one DFA pass over the
// log, plus counting its lines. A pattern that could tell a block from a line (\A, \z, \C, a
// flag turned off) is matched line by line instead: the same results, more slowly.
//
// Memory: one block (kGrepBlockBytes), a copy of it when it holds "\r\n", the start of the line
// in progress (kGrepLineCap), the before-context and the results (bounded by max_matches and
// kMaxGrepTextBytes).
#pragma once

#include <boost/system/result.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "output_reader.h"

namespace re2 {
class RE2;
}

namespace bb {

inline constexpr std::size_t kMaxGrepPatternBytes = 1024;
inline constexpr int kMaxGrepContext = 20;
inline constexpr int kMaxGrepMatches = 1000;
// A line is matched on at most its first this many bytes.
inline constexpr std::size_t kGrepLineCap = 64 * 1024;
// GrepLine::text holds at most this many bytes of the line (whole characters): the line's
// start, or for a matching line a window around the match; "…" marks each side that was cut.
inline constexpr std::size_t kGrepTextBytes = 512;
// A step reads the log in blocks of at most this many bytes.
inline constexpr std::size_t kGrepBlockBytes = 256 * 1024;
// The scan stops (limited) at the first match that brings its results' text past this: a
// reply must fit the protocol's 16 MiB line even if every byte needs a 6-byte JSON escape.
inline constexpr std::size_t kMaxGrepTextBytes = 2 * 1024 * 1024;
// RE2's memory budget for the pattern: its programs and DFA caches. Ample for the DFA of a
// real pattern; for a crafted one a small cache makes RE2 give up on the DFA sooner.
inline constexpr std::int64_t kGrepMaxMem = 1 << 20;
// The most a pattern may compile to (RE2's program size). RE2 is linear in the log's size, but
// the factor is the program: a typical pattern costs about a nanosecond per byte (its DFA), a
// pattern crafted to defeat the DFA up to kGrepWorstNsPerByte per byte and instruction (RE2
// falls back to its NFA). step_bytes_within() turns that into a step size.
inline constexpr int kMaxGrepProgramSize = 512;
inline constexpr double kGrepWorstNsPerByte = 32;
// step_bytes_within() never says less: below this, steps cost more than they scan.
inline constexpr std::uint64_t kMinGrepStepBytes = 4096;

struct GrepOptions {
  std::string pattern;            // RE2 syntax, searched in each line
  bool ignore_case = false;
  int context_lines = 0;          // 0..kMaxGrepContext lines before and after, like grep -C
  int max_matches = 100;          // 1..kMaxGrepMatches: stop after this many matching lines
  std::uint64_t from_offset = 0;  // scan [from_offset, log size at creation); line numbers
                                  // count from here (1-based when from_offset == 0)
};

struct GrepLine {
  std::uint64_t line_number = 0;  // 1 = the line that starts at from_offset
  std::uint64_t offset = 0;       // log offset of the line's first byte
  std::string text;               // valid UTF-8, at most kGrepTextBytes of the line plus marks
};

struct GrepMatch {
  GrepLine line;
  std::vector<GrepLine> before, after;  // context, in log order
};

struct GrepResult {
  std::vector<GrepMatch> matches;
  std::uint64_t scanned_to = 0;  // every line ending at or before this offset was examined
  bool complete = false;         // the whole range [from_offset, log size) was examined
  bool limited = false;          // stopped at max_matches (or kMaxGrepTextBytes)
  std::uint64_t lines_scanned = 0;
};

class GrepScan {
 public:
  // The error says what is wrong with the options (the pattern does not compile, and why; too
  // long; a number out of range). `log_size`: the log's size now; later growth is not scanned.
  static std::variant<GrepScan, std::string> create(GrepOptions options, std::uint64_t log_size);

  GrepScan(GrepScan&&) noexcept;
  GrepScan& operator=(GrepScan&&) noexcept;
  ~GrepScan();

  // Reads and scans at most `budget_bytes` more of the log (in blocks of at most
  // kGrepBlockBytes). True once the scan is finished: the end reached, or max_matches hit and
  // its after-context complete. Results do not depend on how the work is split into steps.
  // REQUIRES: `log` is the log `log_size` was taken from, at least that long.
  boost::system::result<bool> step(LogFile& log, std::uint64_t budget_bytes);

  bool finished() const { return done_; }

  // A budget for step() that keeps one step within about `target_ns` even if the pattern
  // defeats RE2's DFA (at least kMinGrepStepBytes). Typical patterns scan it far faster.
  std::uint64_t step_bytes_within(std::uint64_t target_ns) const;
  int program_size() const;

  // The results so far (all of them once finished). The scan ends here: later steps do
  // nothing, and scanned_to says where a new scan could go on (its line numbers restart).
  GrepResult take_result();

  // Bytes the scan holds for its work now: buffers, the line in progress, before-context. Not
  // the results, which max_matches and kMaxGrepTextBytes bound.
  std::size_t memory_bytes() const;

 private:
  GrepScan() = default;

  // A line as the scan sees it: its first bytes (at least min(length, kGrepLineCap + 1)), its
  // length without the '\n', and its last byte (to know whether it ends in '\r').
  struct Line {
    std::string_view head;
    std::uint64_t length = 0;
    char last = 0;
    std::uint64_t offset = 0;
  };

  struct Found {
    std::size_t begin = 0;  // in the line
    std::size_t length = 0;
  };

  static Line line_at(std::string_view lines, std::size_t start, std::size_t end,
                      std::uint64_t offset);
  // Where the pattern matches the line alone, if it does.
  std::optional<Found> find(const Line& line) const;
  // The start of the first line at or after `p` that may match, or npos. `lines` ends with
  // '\n' and `p` is a line start; `search` is `lines` as the block search reads it.
  std::size_t next_candidate(std::string_view lines, std::string_view search,
                             std::size_t p) const;

  void consume(std::string_view chunk, std::uint64_t offset);
  void append_partial(std::string_view bytes);
  void take_partial();
  // Complete lines (`lines` ends with '\n'): the block search skips to the candidates.
  void scan_lines(std::string_view lines, std::uint64_t offset);
  // Lines known not to match, while no after-context is owed: counted, the last kept as
  // possible before-context.
  void skip_lines(std::string_view lines, std::uint64_t offset);
  void take_line(const Line& line);
  GrepLine context_line(const Line& line, std::uint64_t number) const;
  void finish_at_end();

  std::unique_ptr<re2::RE2> re_;
  bool per_line_ = false;  // the pattern can tell a block from a line: match line by line
  int context_ = 0;
  int max_matches_ = 0;
  std::uint64_t pos_ = 0;  // next log offset to read
  std::uint64_t end_ = 0;

  std::string block_;      // the bytes of the current step's block
  std::string crlf_copy_;  // the block with each "\r\n" read as "\n\n", for the block search

  std::string partial_;  // the first bytes of the line in progress (at most kGrepLineCap + 1)
  std::uint64_t partial_length_ = 0;
  char partial_last_ = 0;
  std::uint64_t partial_offset_ = 0;

  std::uint64_t lines_ = 0;         // lines taken so far
  std::uint64_t examined_to_ = 0;   // offset past the last line taken
  std::deque<GrepLine> before_;     // the last lines not shown, at most context_
  int after_left_ = 0;              // after-context the last match is still owed
  std::size_t text_bytes_ = 0;      // text in results_
  bool limited_ = false;
  bool done_ = false;
  GrepResult result_;
};

}  // namespace bb
