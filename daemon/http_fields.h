// Reading the fields of an HTTP request: percent-decoding, query strings, cookies, byte
// ranges. No I/O; the dashboard's server and gate use them (unit-tested on their own).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace bb::dashboard {

// %XX escapes decoded (a malformed one is kept as it is); '+' is a space in a query only.
std::string percent_decode(std::string_view s, bool plus_is_space);
// a=1&b=2, decoded; the last of a repeated name wins.
std::map<std::string, std::string> parse_query(std::string_view q);
// The value of one cookie in a Cookie header.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

// A Range header against a file of `size` bytes: std::monostate = serve the whole file (no
// header, or one this server does not honour, such as several ranges); a ByteRange; or
// Unsatisfiable (416).
struct ByteRange {
  std::uint64_t first = 0, last = 0;  // inclusive
};
struct Unsatisfiable {};
std::variant<std::monostate, ByteRange, Unsatisfiable> parse_range(std::string_view header,
                                                                  std::uint64_t size);

}  // namespace bb::dashboard
