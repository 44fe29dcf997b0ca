// bb::utf8. Input: one byte choosing a split point, then the bytes.
// Invariants: sanitize gives valid UTF-8, is idempotent and changes nothing valid; the unit
// functions stay within their bounds; and splitting at a unit boundary found with
// incomplete_tail or leading_continuations sanitizes piecewise to the same text as whole. Also
// the protocol-line writer (json_write.h): the same bytes as nlohmann's dump for the raw string,
// its sanitized form, and an object keyed by it.
#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "json_write.h"
#include "utf8.h"

namespace {
bool writes_as_nlohmann(const nlohmann::json& j) {
  return bb::json_text(j) == j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  using namespace bb::utf8;
  if (size < 1) return 0;
  const std::string_view in = bb::fuzz::as_text(data + 1, size - 1);
  const std::size_t split = in.empty() ? 0 : data[0] % (in.size() + 1);

  const std::string s = sanitize(in);
  BB_FUZZ_CHECK(is_valid(s));
  BB_FUZZ_CHECK(sanitize(s) == s);
  BB_FUZZ_CHECK(is_valid(in) == (s == in));

  const std::size_t tail = incomplete_tail(in);
  BB_FUZZ_CHECK(tail <= 3 && tail <= in.size());
  BB_FUZZ_CHECK(leading_continuations(in) <= 3 && leading_continuations(in) <= in.size());
  if (!in.empty()) {
    const std::size_t len = unit_length(in);
    BB_FUZZ_CHECK(len >= 1 && len <= 4 && len <= in.size());
  }

  // A reader that stops before an unfinished tail...
  const std::string_view before = in.substr(0, split);
  const std::size_t cut = split - incomplete_tail(before);
  BB_FUZZ_CHECK(sanitize(in.substr(0, cut)) + sanitize(in.substr(cut)) == s);
  // ...and one that starts after the rest of a character begun before it.
  const std::string_view after = in.substr(split);
  const std::size_t rest = leading_continuations(before, after);
  BB_FUZZ_CHECK(rest <= 3 && rest <= after.size());
  BB_FUZZ_CHECK(sanitize(in.substr(0, split + rest)) + sanitize(in.substr(split + rest)) == s);

  const std::string raw(in);
  BB_FUZZ_CHECK(writes_as_nlohmann(nlohmann::json(raw)));
  BB_FUZZ_CHECK(writes_as_nlohmann(nlohmann::json(s)));
  BB_FUZZ_CHECK(writes_as_nlohmann(nlohmann::json{{raw, {s, split}}}));
  return 0;
}
