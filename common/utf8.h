// UTF-8 for text that leaves the process: task output is raw bytes, but everything sent over
// JSON must be valid UTF-8.
//
// Decoding follows the Unicode Standard (Table 3-7, well-formed byte sequences): overlong
// forms, surrogates (U+D800..U+DFFF), code points above U+10FFFF and the bytes C0, C1, F5..FF
// are invalid. Input splits into "units": a whole character, or one maximal invalid subpart
// (the longest prefix of a well-formed sequence, or else a single byte) which becomes one
// U+FFFD, the W3C/WHATWG "maximal subpart" practice. Because a byte that is not a continuation
// byte (80..BF) always starts a unit, a reader can find unit boundaries by looking at most
// three bytes back.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bb::utf8 {

// `bytes` with every maximal invalid subpart replaced by U+FFFD (EF BF BD). Valid input is
// returned unchanged; an unfinished sequence at the end is invalid (one U+FFFD).
std::string sanitize(std::string_view bytes);

// True if `bytes` is well-formed UTF-8 (an unfinished sequence at the end is not).
bool is_valid(std::string_view bytes);

// Length (0..3) of a trailing sequence that is valid so far but unfinished: the bytes a writer
// may still be completing. 0 if `bytes` ends on a unit boundary.
std::size_t incomplete_tail(std::string_view bytes);

// Number (0..3) of continuation bytes at the start of `bytes` that belong to a character begun
// before `bytes`. Without those earlier bytes this assumes they began a character: it counts
// leading continuation bytes, at most 3. Prefer the two-argument form when they are at hand.
std::size_t leading_continuations(std::string_view bytes);

// The exact form: `before` holds the bytes just before `bytes` (its last three suffice). Counts
// the bytes at the start of `bytes` that finish the unit begun in `before`, valid or not, so a
// stray continuation byte is not skipped but left to become its own U+FFFD.
std::size_t leading_continuations(std::string_view before, std::string_view bytes);

// Length (1..4) of the first unit of `bytes` as sanitize() reads it: one whole character, one
// maximal invalid subpart, or (if `bytes` ends first) the unfinished sequence so far.
// REQUIRES: !bytes.empty().
std::size_t unit_length(std::string_view bytes);

}  // namespace bb::utf8
