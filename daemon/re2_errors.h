// Why RE2 refused a pattern, in words for the user who wrote it (command policies, log grep).
#pragma once

#include <cstdint>
#include <string>

namespace re2 {
class RE2;
}

namespace bb {

// RE2's reason, with a word on what RE2 lacks when the pattern may be valid Perl (lookaround,
// backreferences) and on the budget when it compiles too large. `max_mem`: the budget the
// pattern was compiled with. REQUIRES: !re.ok().
std::string re2_error_text(const re2::RE2& re, std::int64_t max_mem);

// What RE2's program size counts, for messages that refuse a pattern by its size.
inline constexpr const char* kRe2ProgramSizeHint =
    "about one per literal character or ASCII class; \".\" costs about 12, a Unicode class such "
    "as \\pL about 1,200";

}  // namespace bb
