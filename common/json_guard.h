// Checks a JSON text must pass before it is parsed.
#pragma once

#include <cstddef>
#include <string_view>

namespace bb {

// nlohmann's parser (and copying the resulting value) recurses once per nesting level, so a
// line of a few hundred KB of '[' would overflow the stack. Every message of our protocols
// nests a handful of levels; anything past this is refused unparsed.
inline constexpr std::size_t kMaxJsonNesting = 128;

// True if `text` opens more than kMaxJsonNesting arrays/objects at once (strings are skipped).
bool json_nesting_too_deep(std::string_view text, std::size_t limit = kMaxJsonNesting);

}  // namespace bb
