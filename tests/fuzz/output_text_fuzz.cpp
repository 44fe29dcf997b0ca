// bb::text: the cleaner of task output. Input: two bytes of parameters, then the log.
//   byte 0: bit 0 final, bit 1 raw mode, bits 2..7 the window of chunked reads (1..64)
//   byte 1: max_chars (0 = no cap)
// Invariants: the text is valid UTF-8 and, when clean, free of control bytes but '\n' and '\t';
// consumed stays within the input and makes progress; the cap holds; cleaning is idempotent;
// raw mode is sanitize; reading in chunks covers every byte once and, where no overwrite can
// reach across a seam, gives the same text as reading whole; a tail re-read from `skipped`
// gives the same text.
#include <limits>
#include <string>

#include "fuzz_check.h"
#include "output_text.h"
#include "utf8.h"

namespace {

using bb::fuzz::code_points;
using namespace bb::text;

constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();

bool terminal_safe(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b < 0x20 && b != '\n' && b != '\t') || b == 0x7F) return false;
    if (b == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xA0) return false;
  }
  return true;
}

void check_forward(const Forward& f, std::string_view in, std::size_t cap, bool final, Mode mode) {
  BB_FUZZ_CHECK(f.consumed <= in.size());
  BB_FUZZ_CHECK(bb::utf8::is_valid(f.text));
  BB_FUZZ_CHECK(f.chars == code_points(f.text));
  BB_FUZZ_CHECK(f.chars <= cap || f.chars <= 2);
  if (mode == Mode::clean) BB_FUZZ_CHECK(terminal_safe(f.text));
  if (final && !in.empty() && cap > 0) BB_FUZZ_CHECK(f.consumed > 0);
  if (in.size() >= 2 * kMaxSequenceBytes && cap > 0) BB_FUZZ_CHECK(f.consumed > 0);
  if (!f.capped && final) BB_FUZZ_CHECK(f.consumed == in.size());
}

// Whether `s` may hold something that takes back text already emitted: '\r', '\b', CHA (CSI G)
// or an EL that erases the whole line (CSI 1 K, CSI 2 K). Plain EL (CSI K) erases only after a
// '\r' or CHA.
bool may_overwrite(std::string_view s) {
  return s.find_first_of("\r\bG") != std::string_view::npos ||
         s.find("1K") != std::string_view::npos || s.find("2K") != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  if (size < 2) return 0;
  const bool final = data[0] & 1;
  const Mode mode = data[0] & 2 ? Mode::raw : Mode::clean;
  const std::size_t window = 1 + (data[0] >> 2);
  const std::size_t cap = data[1] == 0 ? kAll : data[1];
  const std::string_view in = bb::fuzz::as_text(data + 2, size - 2);

  const Forward whole = clean_forward(in, kAll, final, mode);
  check_forward(whole, in, kAll, final, mode);
  const Forward capped = clean_forward(in, cap, final, mode);
  check_forward(capped, in, cap, final, mode);
  BB_FUZZ_CHECK(capped.consumed <= whole.consumed);

  if (mode == Mode::raw) {
    BB_FUZZ_CHECK(capped.text == bb::utf8::sanitize(in.substr(0, capped.consumed)));
  } else {
    BB_FUZZ_CHECK(clean_forward(whole.text, kAll, true).text == whole.text);
  }

  // Paging through the log as the daemon does: each read starts where the last one stopped.
  std::string chunked;
  std::size_t offset = 0;
  for (std::size_t w = window; offset < in.size();) {
    const bool last = offset + w >= in.size();
    const std::string_view bytes = in.substr(offset, w);
    const Forward f = clean_forward(bytes, cap, last && final, mode);
    check_forward(f, bytes, cap, last && final, mode);
    if (f.consumed > 0) {
      chunked += f.text;
      offset += f.consumed;
      w = window;
    } else if (last) {
      break;  // not final: an unfinished unit at the end waits for bytes not written yet
    } else {
      w *= 2;
    }
  }
  BB_FUZZ_CHECK(offset == whole.consumed);
  if (mode == Mode::raw || !may_overwrite(in)) BB_FUZZ_CHECK(chunked == whole.text);

  // Tails.
  const Backward b = clean_backward(in, cap, final, mode);
  BB_FUZZ_CHECK(bb::utf8::is_valid(b.text));
  BB_FUZZ_CHECK(b.chars == code_points(b.text));
  BB_FUZZ_CHECK(b.skipped <= b.consumed && b.consumed == whole.consumed);
  BB_FUZZ_CHECK(whole.text.ends_with(b.text));
  BB_FUZZ_CHECK(clean_forward(in.substr(b.skipped), kAll, final, mode).text == b.text);
  return 0;
}
