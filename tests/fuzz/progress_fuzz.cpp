// bb::parse_progress on any bytes, and on them cleaned as the daemon would clean them.
// Invariants: no crash; percent within 0..100; a total is at least 1 and a current not
// negative; the message is valid UTF-8, trimmed, at most kMaxMessageChars.
#include <cmath>
#include <limits>

#include "fuzz_check.h"
#include "output_text.h"
#include "progress.h"
#include "utf8.h"

namespace {

void check(const std::optional<bb::Progress>& p) {
  if (!p) return;
  if (p->percent)
    BB_FUZZ_CHECK(std::isfinite(*p->percent) && *p->percent >= 0 && *p->percent <= 100);
  if (p->total) BB_FUZZ_CHECK(*p->total >= 1);
  if (p->current) BB_FUZZ_CHECK(*p->current >= 0);
  BB_FUZZ_CHECK(bb::utf8::is_valid(p->message));
  BB_FUZZ_CHECK(bb::fuzz::code_points(p->message) <= bb::kMaxMessageChars);
  if (!p->message.empty()) {
    BB_FUZZ_CHECK(p->message.front() != ' ' && p->message.back() != ' ');
    BB_FUZZ_CHECK(p->message.find('\n') == std::string::npos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  const std::string_view in = bb::fuzz::as_text(data, size);
  check(bb::parse_progress(in));
  const auto cleaned = bb::text::clean_forward(in, std::numeric_limits<std::size_t>::max(), true);
  check(bb::parse_progress(cleaned.text));
  return 0;
}
