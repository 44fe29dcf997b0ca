#include "output_text.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <vector>

#include "utf8.h"

namespace bb::text {

namespace {

constexpr unsigned kEsc = 0x1B;
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
// Caret notation of C0 byte b is kCarets.substr(2 * b, 2); DEL is "^?".
constexpr std::string_view kCarets =
    "^@^A^B^C^D^E^F^G^H^I^J^K^L^M^N^O^P^Q^R^S^T^U^V^W^X^Y^Z^[^\\^]^^^_";
constexpr std::string_view kCaretDel = "^?";

unsigned byte_at(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

bool in_range(unsigned b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; }

// What the unit at a read position does to the output.
enum class Effect {
  text,          // append `text` (`chars` code points)
  newline,       // append '\n'; a new line starts
  home,          // back to the start of the line: what follows on it overwrites the line
  erase,         // drop the line's last character, if any
  erase_to_end,  // EL 0: blanks the line if at its start (after a home), else nothing
  erase_line,    // EL 1, EL 2: blanks the line (the cursor is at its end, or at its start)
  none,          // nothing (an escape sequence)
  pending,       // unfinished at the end of the input: stop before it
};

struct Unit {
  Effect effect = Effect::none;
  std::size_t length = 0;  // input bytes
  std::string_view text;
  std::size_t chars = 0;
};

Unit none(std::size_t length) { return {Effect::none, length}; }
Unit text_unit(std::string_view text, std::size_t length, std::size_t chars) {
  return {Effect::text, length, text, chars};
}
Unit caret(unsigned b) { return text_unit(b == 0x7F ? kCaretDel : kCarets.substr(2 * b, 2), 1, 2); }

// Splits input into units, one at a time. Stateless: a unit depends only on the bytes from its
// start (and on `final` when it reaches the end), which is what makes chunked reads agree with
// whole ones.
class Reader {
 public:
  Reader(std::string_view in, bool final, Mode mode) : in_(in), final_(final), mode_(mode) {}

  // The unit at i. REQUIRES: i < size.
  Unit next(std::size_t i) const {
    const unsigned b = byte_at(in_, i);
    if (b >= 0x80) return non_ascii(i);
    if (mode_ == Mode::raw)
      return b == '\n' ? Unit{Effect::newline, 1} : text_unit(in_.substr(i, 1), 1, 1);
    if (b >= 0x20 && b < 0x7F) return text_unit(in_.substr(i, 1), 1, 1);
    switch (b) {
      case '\n':
        return {Effect::newline, 1};
      case '\t':
        return text_unit(in_.substr(i, 1), 1, 1);
      case '\r':
        return {Effect::home, 1};
      case '\b':
        return {Effect::erase, 1};
      case kEsc:
        return escape(i);
      default:
        return caret(b);
    }
  }

  // Length of the run of bytes from i that are each a one-character text unit copied as is.
  std::size_t plain_run(std::size_t i) const {
    std::size_t j = i;
    if (mode_ == Mode::raw) {
      while (j < in_.size() && byte_at(in_, j) < 0x80 && in_[j] != '\n') ++j;
    } else {
      while (j < in_.size() && in_range(byte_at(in_, j), 0x20, 0x7E)) ++j;
    }
    return j - i;
  }

 private:
  // A sequence begun at `start` that reached `end` of the input unfinished.
  Unit unfinished(std::size_t start) const {
    return final_ ? none(in_.size() - start) : Unit{Effect::pending, 0};
  }

  // True (and sets `out`) if a sequence begun at `start` must end before byte j is looked at:
  // it has reached its length bound, or the input ends.
  bool stops_at(std::size_t start, std::size_t j, Unit& out) const {
    if (j - start >= kMaxSequenceBytes) {
      out = none(kMaxSequenceBytes);
      return true;
    }
    if (j >= in_.size()) {
      out = unfinished(start);
      return true;
    }
    return false;
  }

  Unit escape(std::size_t i) const {
    if (i + 1 == in_.size()) return final_ ? caret(kEsc) : Unit{Effect::pending, 0};
    const unsigned b = byte_at(in_, i + 1);
    switch (b) {
      case '[':
        return csi(i, i + 2);
      case ']':
      case 'P':
      case 'X':
      case '^':
      case '_':
        return string(i, i + 2);
      default:
        break;
    }
    if (in_range(b, 0x30, 0x7E)) return none(2);
    if (!in_range(b, 0x20, 0x2F)) return caret(kEsc);  // starts no sequence
    // ESC, intermediate bytes 20..2F, a final byte 30..7E (ECMA-35): charset designations etc.
    Unit u;
    for (std::size_t j = i + 2;; ++j) {
      if (stops_at(i, j, u)) return u;
      const unsigned c = byte_at(in_, j);
      if (in_range(c, 0x30, 0x7E)) return none(j + 1 - i);
      if (!in_range(c, 0x20, 0x2F)) return none(j - i);
    }
  }

  // Parameter and intermediate bytes 20..3F, then a final byte 40..7E. CHA to the first column
  // (CSI G, CSI 0 G, CSI 1 G, what spinners use instead of '\r') is a '\r'; EL (CSI K) erases.
  Unit csi(std::size_t start, std::size_t p) const {
    Unit u;
    for (std::size_t j = p;; ++j) {
      if (stops_at(start, j, u)) return u;
      const unsigned c = byte_at(in_, j);
      if (in_range(c, 0x40, 0x7E)) {
        const std::string_view params = in_.substr(p, j - p);
        const bool zero_or_one = params.empty() || params == "0" || params == "1";
        if (c == 'G' && zero_or_one) return {Effect::home, j + 1 - start};
        if (c == 'K' && (params.empty() || params == "0"))
          return {Effect::erase_to_end, j + 1 - start};
        if (c == 'K' && (params == "1" || params == "2"))
          return {Effect::erase_line, j + 1 - start};
        return none(j + 1 - start);
      }
      if (!in_range(c, 0x20, 0x3F)) return none(j - start);
    }
  }

  // OSC, DCS, SOS, PM, APC: up to BEL or ST (ESC \ or U+009C).
  Unit string(std::size_t start, std::size_t p) const {
    Unit u;
    for (std::size_t j = p;; ++j) {
      if (stops_at(start, j, u)) return u;
      const unsigned c = byte_at(in_, j);
      if (c == 0x07) return none(j + 1 - start);
      if (c == kEsc) {
        // ESC \ ends the string; ESC before anything else ends it too and is read afresh. The
        // two bytes of ST must fit in the bound.
        if (j + 1 - start >= kMaxSequenceBytes) return none(kMaxSequenceBytes);
        if (j + 1 >= in_.size()) return final_ ? none(j - start) : Unit{Effect::pending, 0};
        return in_[j + 1] == '\\' ? none(j + 2 - start) : none(j - start);
      }
      if (c == 0xC2 && j + 1 < in_.size() && byte_at(in_, j + 1) == 0x9C) {
        if (j + 2 - start > kMaxSequenceBytes) return none(kMaxSequenceBytes);
        return none(j + 2 - start);
      }
      if (c < 0x20) return none(j - start);  // a control byte ends it; it is read afresh
    }
  }

  Unit non_ascii(std::size_t i) const {
    const std::string_view rest = in_.substr(i);
    const std::size_t len = utf8::unit_length(rest);
    if (len == rest.size() && utf8::incomplete_tail(rest) == len) {
      return final_ ? text_unit(kReplacement, len, 1) : Unit{Effect::pending, 0};
    }
    const std::string_view unit = rest.substr(0, len);
    if (!utf8::is_valid(unit)) return text_unit(kReplacement, len, 1);
    if (mode_ == Mode::clean && len == 2 && byte_at(unit, 0) == 0xC2 && byte_at(unit, 1) < 0xA0) {
      switch (byte_at(unit, 1)) {  // C1 controls, U+0080..U+009F
        case 0x9B:
          return csi(i, i + 2);
        case 0x9D:
        case 0x90:
        case 0x98:
        case 0x9E:
        case 0x9F:
          return string(i, i + 2);
        default:
          return none(2);
      }
    }
    return text_unit(unit, len, 1);
  }

  std::string_view in_;
  bool final_;
  Mode mode_;
};

struct LineStart {
  std::size_t chars;  // characters of output before the line
  std::size_t byte;   // output bytes before the line
  std::size_t input;  // input bytes before the line's first unit
};

// Where one call's output stands. With `trace` set, also the line starts and, for the current
// and the previous line, the input offset of each character (what a tail needs to cut).
struct Output {
  std::string text;
  std::size_t chars = 0;
  LineStart line{0, 0, 0};
  bool trace = false;
  std::vector<LineStart> lines;
  std::vector<std::size_t> origins;       // one per character of the current line
  std::vector<std::size_t> prev_origins;  // the same for the line before it

  void append(std::string_view s, std::size_t n, std::size_t origin) {
    text.append(s);
    chars += n;
    if (trace) origins.insert(origins.end(), n, origin);
  }
  // The one-byte characters of s, from input offsets origin, origin + 1, ...
  void append_run(std::string_view s, std::size_t origin) {
    text.append(s);
    chars += s.size();
    if (trace) {
      for (std::size_t k = 0; k < s.size(); ++k) origins.push_back(origin + k);
    }
  }
  void newline(std::size_t origin, std::size_t next_input) {
    append("\n", 1, origin);
    line = {chars, text.size(), next_input};
    if (trace) {
      lines.push_back(line);
      prev_origins.swap(origins);
      origins.clear();
    }
  }
  void home() {
    text.resize(line.byte);
    chars = line.chars;
    if (trace) origins.clear();
  }
  void erase() {
    if (text.size() == line.byte) return;
    std::size_t n = text.size() - 1;
    while (n > line.byte && (byte_at(text, n) & 0xC0) == 0x80) --n;
    text.resize(n);
    --chars;
    if (trace) origins.pop_back();
  }
};

// Cleans from the start of `in` into `out` until the input ends, a unit is pending or the next
// character would exceed max_chars (the first one excepted). Returns the input bytes consumed.
//
// A home ('\r') is decided by what follows it: a character drops the line's text first, a
// '\n' keeps the line, escape sequences in between change nothing. Until then it is pending:
// a call that ends undecided (and not final) leaves it and what follows unconsumed, unless it
// has waited kMaxSequenceBytes, when it counts as the start of an overwrite.
std::size_t run(std::string_view in, std::size_t max_chars, bool final, Mode mode, Output& out,
                bool& capped) {
  const Reader reader(in, final, mode);
  const auto fits = [&](std::size_t n) {
    return out.chars + n <= max_chars || (out.chars == 0 && max_chars > 0);
  };
  std::optional<std::size_t> home_at;  // input offset of an undecided home
  const auto overwrite = [&] {
    if (home_at) out.home();
    home_at.reset();
  };
  std::size_t i = 0;
  while (i < in.size()) {
    if (home_at && i - *home_at >= kMaxSequenceBytes) overwrite();
    if (const std::size_t run_len = reader.plain_run(i); run_len > 0) {
      overwrite();
      const std::size_t room = out.chars < max_chars ? max_chars - out.chars : 0;
      const std::size_t n = std::min(run_len, room);
      out.append_run(in.substr(i, n), i);
      i += n;
      if (n < run_len) {
        capped = true;
        return i;
      }
      continue;
    }
    const Unit u = reader.next(i);
    switch (u.effect) {
      case Effect::pending:
        return home_at.value_or(i);
      case Effect::text:
        overwrite();
        if (!fits(u.chars)) {
          capped = true;
          return i;
        }
        out.append(u.text, u.chars, i);
        break;
      case Effect::newline:
        home_at.reset();
        if (!fits(1)) {
          capped = true;
          return i;
        }
        out.newline(i, i + u.length);
        break;
      case Effect::home:
        if (!home_at) home_at = i;
        break;
      case Effect::erase:
        if (!home_at) out.erase();  // at the start of the line there is nothing to erase
        break;
      case Effect::erase_to_end:
        if (home_at) overwrite();  // nothing left for the home to overwrite: decided
        break;
      case Effect::erase_line:
        out.home();
        home_at.reset();
        break;
      case Effect::none:
        break;
    }
    i += u.length;
  }
  if (home_at && !final) {
    if (in.size() - *home_at < kMaxSequenceBytes) return *home_at;
    overwrite();
  }
  return i;
}

// Output bytes of the first n code points of s.
std::size_t bytes_of_chars(std::string_view s, std::size_t n) {
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    if ((byte_at(s, i) & 0xC0) == 0x80) continue;
    if (n == 0) break;
    --n;
  }
  return i;
}

}  // namespace

Forward clean_forward(std::string_view bytes, std::size_t max_chars, bool final, Mode mode) {
  Output out;
  out.text.reserve(std::min(bytes.size(), max_chars));
  Forward f;
  f.consumed = run(bytes, max_chars, final, mode, out, f.capped);
  f.text = std::move(out.text);
  f.chars = out.chars;
  return f;
}

Backward clean_backward(std::string_view bytes, std::size_t max_chars, bool final, Mode mode) {
  Output out;
  out.trace = true;
  out.text.reserve(bytes.size());
  Backward b;
  bool capped = false;
  b.consumed = run(bytes, std::numeric_limits<std::size_t>::max(), final, mode, out, capped);
  const std::size_t total = out.chars;
  if (total <= max_chars) {
    b.text = std::move(out.text);
    b.chars = total;
    return b;
  }
  b.capped = true;
  const std::size_t cut = total - max_chars;  // first character that may be kept
  const auto line = std::find_if(out.lines.begin(), out.lines.end(),
                                 [&](const LineStart& l) { return l.chars >= cut; });
  if (line != out.lines.end() && line->chars < total) {
    b.text = out.text.substr(line->byte);
    b.skipped = line->input;
    b.chars = total - line->chars;
    return b;
  }
  // No line starts among the kept characters: cut inside the line that holds `cut`, which is
  // the current line, or the one before when the text ends with '\n'.
  LineStart base = out.line;
  const std::vector<std::size_t>* origins = &out.origins;
  if (base.chars > cut) {
    base = out.lines.size() >= 2 ? out.lines[out.lines.size() - 2] : LineStart{0, 0, 0};
    origins = &out.prev_origins;
  }
  std::size_t k = cut - base.chars;
  // Never start inside the characters of one unit (a caret pair).
  while (k > 0 && k < origins->size() && (*origins)[k] == (*origins)[k - 1]) ++k;
  const std::string_view line_text = std::string_view(out.text).substr(base.byte);
  if (k >= origins->size()) {
    b.skipped = b.consumed;
    return b;
  }
  b.text = std::string(line_text.substr(bytes_of_chars(line_text, k)));
  b.skipped = (*origins)[k];
  b.chars = total - base.chars - k;
  return b;
}

}  // namespace bb::text
