#include "log_grep.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "re2_errors.h"
#include "utf8.h"

namespace bb {

namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026

struct Span {
  std::size_t begin = 0;
  std::size_t length = 0;
};

// True if the pattern may match a line differently inside a block of lines than alone: \A and
// \z are the block's ends there, \C also matches '\n', and a flag group that turns flags off
// can turn off multi-line mode. Conservative (it does not parse \Q...\E or classes): a false
// yes only costs speed, as such patterns are matched line by line.
bool tells_block_from_line(std::string_view p) {
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\' && i + 1 < p.size()) {
      const char c = p[++i];
      if (c == 'A' || c == 'z' || c == 'C') return true;
    } else if (p.compare(i, 2, "(?") == 0) {
      for (std::size_t j = i + 2; j < p.size() && p[j] != ')' && p[j] != ':'; ++j)
        if (p[j] == '-') return true;
    }
  }
  return false;
}

std::uint64_t content_length(std::uint64_t length, char last) {
  return length > 0 && last == '\r' ? length - 1 : length;
}

// The line's text for results: at most kGrepTextBytes of its content, whole characters,
// sanitized; for a long line the window is centred on `match` (else it is the line's start).
// `head` holds at least min(content, kGrepLineCap + 1) bytes of the line.
std::string excerpt(std::string_view head, std::uint64_t content, std::optional<Span> match) {
  if (content <= kGrepTextBytes) return utf8::sanitize(head.substr(0, content));
  const std::size_t have = static_cast<std::size_t>(std::min<std::uint64_t>(content, head.size()));
  std::size_t start = 0;
  if (match) {
    const std::size_t slack = (kGrepTextBytes - std::min(match->length, kGrepTextBytes)) / 2;
    start = match->begin > slack ? match->begin - slack : 0;
  }
  start = std::min(start, have - kGrepTextBytes);
  std::string_view window = head.substr(start, kGrepTextBytes);
  // Whole characters only: skip the end of one cut at the start, drop one cut at the end.
  const std::size_t before = std::min<std::size_t>(start, 3);
  const std::size_t skip = utf8::leading_continuations(head.substr(start - before, before), window);
  window.remove_prefix(skip);
  start += skip;
  std::size_t end = start + window.size();
  if (end < content) {
    const std::size_t cut = utf8::incomplete_tail(window);
    window.remove_suffix(cut);
    end -= cut;
  }
  std::string text;
  if (start > 0) text += kEllipsis;
  text += utf8::sanitize(window);
  if (end < content) text += kEllipsis;
  return text;
}

std::size_t text_size(const GrepLine& l) { return l.text.size(); }

// '\n' bytes in `s`, eight at a time: counting lines is the other pass over every byte (with
// RE2's), and a byte-wise loop would be the scan's slowest part.
std::uint64_t count_newlines(std::string_view s) {
  constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7Full;
  constexpr std::uint64_t kNewlines = 0x0A0A0A0A0A0A0A0Aull;
  std::uint64_t n = 0;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    const std::uint64_t x = w ^ kNewlines;  // a zero byte where s had '\n'
    // The high bit of each byte of `t` is clear exactly where x's byte is zero; those bits,
    // moved to each byte's low bit, are summed by the multiplication into the top byte.
    const std::uint64_t t = ((x & kLow7) + kLow7) | x;
    n += (((~t & ~kLow7) >> 7) * 0x0101010101010101ull) >> 56;
  }
  for (; i < s.size(); ++i) n += s[i] == '\n' ? 1 : 0;
  return n;
}

}  // namespace

GrepScan::GrepScan(GrepScan&&) noexcept = default;
GrepScan& GrepScan::operator=(GrepScan&&) noexcept = default;
GrepScan::~GrepScan() = default;

std::variant<GrepScan, std::string> GrepScan::create(GrepOptions options, std::uint64_t log_size) {
  if (options.pattern.size() > kMaxGrepPatternBytes)
    return "the pattern is " + std::to_string(options.pattern.size()) + " bytes; the limit is " +
           std::to_string(kMaxGrepPatternBytes) + " bytes";
  if (options.context_lines < 0 || options.context_lines > kMaxGrepContext)
    return "context_lines must be from 0 to " + std::to_string(kMaxGrepContext) + ", got " +
           std::to_string(options.context_lines);
  if (options.max_matches < 1 || options.max_matches > kMaxGrepMatches)
    return "max_matches must be from 1 to " + std::to_string(kMaxGrepMatches) + ", got " +
           std::to_string(options.max_matches);
  RE2::Options ro;
  ro.set_case_sensitive(!options.ignore_case);
  ro.set_never_nl(true);  // a match never spans lines, in a block of them either
  ro.set_log_errors(false);
  ro.set_max_mem(kGrepMaxMem);
  {
    // Compiled as given first, so that an error speaks of the pattern the user wrote.
    const RE2 alone(options.pattern, ro);
    if (!alone.ok())
      return "invalid pattern \"" + options.pattern + "\": " + re2_error_text(alone, kGrepMaxMem);
  }
  // Multi-line: ^ and $ match at each line's start and end, in a block as in a line alone.
  auto re = std::make_unique<RE2>("(?m)" + options.pattern, ro);
  if (!re->ok()) return "invalid pattern \"" + options.pattern + "\": " + re->error();
  if (re->ProgramSize() > kMaxGrepProgramSize)
    return "the pattern is too large to search quickly: it compiles to " +
           std::to_string(re->ProgramSize()) + " RE2 instructions and the limit is " +
           std::to_string(kMaxGrepProgramSize) + " (" + kRe2ProgramSizeHint + ")";

  GrepScan s;
  s.re_ = std::move(re);
  s.per_line_ = tells_block_from_line(options.pattern);
  s.context_ = options.context_lines;
  s.max_matches_ = options.max_matches;
  s.end_ = log_size;
  s.pos_ = std::min(options.from_offset, log_size);
  s.examined_to_ = s.pos_;
  if (s.pos_ == s.end_) s.done_ = true;
  return s;
}

boost::system::result<bool> GrepScan::step(LogFile& log, std::uint64_t budget_bytes) {
  while (!done_ && budget_bytes > 0 && pos_ < end_) {
    const auto n = static_cast<std::size_t>(
        std::min<std::uint64_t>({budget_bytes, kGrepBlockBytes, end_ - pos_}));
    block_.resize(n);
    if (auto r = log.read_at(pos_, {block_.data(), n}); !r)
      return boost::system::result<bool>(boost::system::in_place_error, r.error());
    const std::uint64_t at = pos_;
    pos_ += n;
    budget_bytes -= n;
    consume(block_, at);
  }
  if (!done_ && pos_ == end_) finish_at_end();
  return done_;
}

void GrepScan::append_partial(std::string_view bytes) {
  if (bytes.empty()) return;
  if (partial_.size() <= kGrepLineCap)
    partial_.append(bytes.substr(0, kGrepLineCap + 1 - partial_.size()));
  partial_length_ += bytes.size();
  partial_last_ = bytes.back();
}

void GrepScan::take_partial() {
  take_line(Line{partial_, partial_length_, partial_last_, partial_offset_});
  partial_.clear();
  partial_length_ = 0;
}

void GrepScan::consume(std::string_view chunk, std::uint64_t offset) {
  std::size_t i = 0;
  if (partial_length_ > 0) {
    // The line in progress: its start is kept, its end is in this chunk or a later one.
    const std::size_t nl = chunk.find('\n');
    append_partial(chunk.substr(0, nl));
    if (nl == std::string_view::npos) return;
    take_partial();
    if (done_) return;
    i = nl + 1;
  }
  const std::size_t last_nl = chunk.rfind('\n');
  if (last_nl != std::string_view::npos && last_nl >= i) {
    scan_lines(chunk.substr(i, last_nl + 1 - i), offset + i);
    if (done_) return;
    i = last_nl + 1;
  }
  if (i < chunk.size()) {
    partial_offset_ = offset + i;
    append_partial(chunk.substr(i));
  }
}

void GrepScan::finish_at_end() {
  if (partial_length_ > 0) take_partial();  // a last line without '\n'
  done_ = true;
}

GrepScan::Line GrepScan::line_at(std::string_view lines, std::size_t start, std::size_t end,
                                 std::uint64_t offset) {
  return Line{lines.substr(start, end - start), end - start, end > start ? lines[end - 1] : '\0',
              offset + start};
}

std::optional<GrepScan::Found> GrepScan::find(const Line& line) const {
  const std::uint64_t content = content_length(line.length, line.last);
  // A long line: its first kGrepLineCap bytes, with the next byte as context (so that $ and \b
  // see that the line goes on).
  const bool capped = content > kGrepLineCap;
  const std::string_view text =
      line.head.substr(0, capped ? kGrepLineCap + 1 : static_cast<std::size_t>(content));
  const re2::StringPiece piece(text.data(), text.size());
  re2::StringPiece m;
  if (!re_->Match(piece, 0, capped ? kGrepLineCap : text.size(), RE2::UNANCHORED, &m, 1))
    return std::nullopt;
  return Found{static_cast<std::size_t>(m.data() - text.data()), m.size()};
}

std::size_t GrepScan::next_candidate(std::string_view lines, std::string_view search,
                                     std::size_t p) const {
  if (per_line_) {
    for (std::size_t s = p; s < lines.size();) {
      const std::size_t e = lines.find('\n', s);
      if (find(line_at(lines, s, e, 0))) return s;
      s = e + 1;
    }
    return std::string_view::npos;
  }
  // One pass over the rest of the block. `search` starts at a line start, like a line alone.
  const re2::StringPiece rest(search.data() + p, search.size() - p);
  re2::StringPiece m;
  if (!re_->Match(rest, 0, rest.size(), RE2::UNANCHORED, &m, 1)) return std::string_view::npos;
  const std::size_t at = p + static_cast<std::size_t>(m.data() - rest.data());
  if (at >= lines.size()) return std::string_view::npos;  // an empty match past the last '\n'
  if (at == p) return p;
  const std::size_t nl = lines.rfind('\n', at - 1);
  return nl == std::string_view::npos || nl < p ? p : nl + 1;
}

void GrepScan::scan_lines(std::string_view lines, std::uint64_t offset) {
  // For the block search "\r\n" must end a line where $ can match: it reads "\n\n" there (the
  // extra empty line can only make a candidate that the line's own match then refuses).
  std::string_view search = lines;
  if (!per_line_ && lines.find('\r') != std::string_view::npos) {
    crlf_copy_.assign(lines);
    for (std::size_t i = crlf_copy_.find("\r\n"); i != std::string::npos;
         i = crlf_copy_.find("\r\n", i + 2))
      crlf_copy_[i] = '\n';
    search = crlf_copy_;
  }
  std::size_t p = 0;
  while (p < lines.size() && !done_) {
    if (after_left_ > 0) {
      // After-context is taken line by line: any of these lines may match in turn.
      const std::size_t e = lines.find('\n', p);
      take_line(line_at(lines, p, e, offset));
      p = e + 1;
      continue;
    }
    const std::size_t start = next_candidate(lines, search, p);
    if (start == std::string_view::npos) {
      skip_lines(lines.substr(p), offset + p);
      return;
    }
    skip_lines(lines.substr(p, start - p), offset + p);
    const std::size_t e = lines.find('\n', start);
    take_line(line_at(lines, start, e, offset));
    p = e + 1;
  }
}

void GrepScan::skip_lines(std::string_view lines, std::uint64_t offset) {
  if (lines.empty()) return;
  const std::uint64_t n = count_newlines(lines);
  if (context_ > 0) {
    // Only the last `context_` of these lines can be anyone's before-context.
    const auto keep = static_cast<std::size_t>(std::min<std::uint64_t>(n, context_));
    std::vector<GrepLine> tail;
    std::size_t end = lines.size() - 1;  // the '\n' ending the line
    for (std::size_t k = 0; k < keep; ++k) {
      const std::size_t nl = end == 0 ? std::string_view::npos : lines.rfind('\n', end - 1);
      const std::size_t start = nl == std::string_view::npos ? 0 : nl + 1;
      tail.push_back(context_line(line_at(lines, start, end, offset), lines_ + n - k));
      end = start - 1;
    }
    if (keep == static_cast<std::size_t>(context_)) before_.clear();
    for (auto it = tail.rbegin(); it != tail.rend(); ++it) before_.push_back(std::move(*it));
    while (before_.size() > static_cast<std::size_t>(context_)) before_.pop_front();
  }
  lines_ += n;
  examined_to_ = offset + lines.size();
}

GrepLine GrepScan::context_line(const Line& line, std::uint64_t number) const {
  return GrepLine{number, line.offset,
                  excerpt(line.head, content_length(line.length, line.last), std::nullopt)};
}

void GrepScan::take_line(const Line& line) {
  const std::uint64_t number = ++lines_;
  examined_to_ = std::min(end_, line.offset + line.length + 1);
  std::optional<Found> found;
  if (!limited_) found = find(line);
  if (found) {
    GrepMatch m;
    m.line = GrepLine{number, line.offset,
                      excerpt(line.head, content_length(line.length, line.last),
                              Span{found->begin, found->length})};
    text_bytes_ += text_size(m.line);
    m.before.assign(std::make_move_iterator(before_.begin()),
                    std::make_move_iterator(before_.end()));
    before_.clear();
    for (const auto& b : m.before) text_bytes_ += text_size(b);
    result_.matches.push_back(std::move(m));
    after_left_ = context_;
    if (result_.matches.size() >= static_cast<std::size_t>(max_matches_) ||
        text_bytes_ >= kMaxGrepTextBytes)
      limited_ = true;
  } else if (after_left_ > 0) {
    result_.matches.back().after.push_back(context_line(line, number));
    text_bytes_ += text_size(result_.matches.back().after.back());
    --after_left_;
  } else if (context_ > 0) {
    before_.push_back(context_line(line, number));
    if (before_.size() > static_cast<std::size_t>(context_)) before_.pop_front();
  }
  if (limited_ && after_left_ == 0) done_ = true;
}

GrepResult GrepScan::take_result() {
  done_ = true;
  GrepResult r = std::move(result_);
  result_ = GrepResult{};
  r.scanned_to = examined_to_;
  r.complete = examined_to_ == end_;
  r.limited = limited_;
  r.lines_scanned = lines_;
  return r;
}

int GrepScan::program_size() const { return re_->ProgramSize(); }

std::uint64_t GrepScan::step_bytes_within(std::uint64_t target_ns) const {
  const double worst_per_byte = kGrepWorstNsPerByte * std::max(1, program_size());
  return std::max(kMinGrepStepBytes,
                  static_cast<std::uint64_t>(static_cast<double>(target_ns) / worst_per_byte));
}

std::size_t GrepScan::memory_bytes() const {
  std::size_t n = sizeof(*this) + block_.capacity() + crlf_copy_.capacity() + partial_.capacity();
  for (const auto& l : before_) n += sizeof(l) + l.text.capacity();
  return n;
}

}  // namespace bb
