#include "re2_errors.h"

#include <re2/re2.h>

namespace bb {

std::string re2_error_text(const re2::RE2& re, std::int64_t max_mem) {
  std::string why = re.error();
  switch (re.error_code()) {
    case RE2::ErrorBadPerlOp:  // (?=, (?!, (?<=, (?<!
    case RE2::ErrorBadEscape:  // \1 .. \9
      why += " (patterns use RE2 syntax: no lookaround, no backreferences)";
      break;
    case RE2::ErrorPatternTooLarge:
      why += " (it compiles to more than RE2's memory budget of " + std::to_string(max_mem >> 10) +
             " KiB)";
      break;
    default:
      break;
  }
  return why;
}

}  // namespace bb
