#include "utf8.h"

#include <algorithm>

namespace bb::utf8 {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

enum class Kind { valid, invalid, unfinished };

struct Unit {
  std::size_t length;
  Kind kind;
};

unsigned byte_at(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

bool is_continuation(unsigned b) { return (b & 0xC0) == 0x80; }

// The first unit of `s` (REQUIRES: !s.empty()), by Unicode Table 3-7. The lead byte fixes how
// many continuation bytes follow and the allowed range of the first one; that range is what
// excludes overlongs (E0, F0), surrogates (ED) and code points above U+10FFFF (F4).
Unit first_unit(std::string_view s) {
  const unsigned lead = byte_at(s, 0);
  if (lead < 0x80) return {1, Kind::valid};
  std::size_t trail = 0;
  unsigned lo = 0x80;
  unsigned hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    trail = 1;
  } else if (lead == 0xE0) {
    trail = 2;
    lo = 0xA0;
  } else if (lead == 0xED) {
    trail = 2;
    hi = 0x9F;
  } else if (lead >= 0xE1 && lead <= 0xEF) {
    trail = 2;
  } else if (lead == 0xF0) {
    trail = 3;
    lo = 0x90;
  } else if (lead == 0xF4) {
    trail = 3;
    hi = 0x8F;
  } else if (lead >= 0xF1 && lead <= 0xF3) {
    trail = 3;
  } else {
    return {1, Kind::invalid};  // a stray continuation byte, C0, C1 or F5..FF
  }
  for (std::size_t k = 1; k <= trail; ++k) {
    if (k == s.size()) return {k, Kind::unfinished};
    const unsigned b = byte_at(s, k);
    if (b < lo || b > hi) return {k, Kind::invalid};  // the maximal subpart ends before b
    lo = 0x80;
    hi = 0xBF;
  }
  return {trail + 1, Kind::valid};
}

}  // namespace

std::string sanitize(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t run = 0;  // start of the current run of valid bytes, copied in one go
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (byte_at(bytes, i) < 0x80) {
      ++i;
      continue;
    }
    const Unit u = first_unit(bytes.substr(i));
    if (u.kind != Kind::valid) {
      out.append(bytes.substr(run, i - run));
      out.append(kReplacement);
      run = i + u.length;
    }
    i += u.length;
  }
  out.append(bytes.substr(run));
  return out;
}

bool is_valid(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (byte_at(bytes, i) < 0x80) {
      ++i;
      continue;
    }
    const Unit u = first_unit(bytes.substr(i));
    if (u.kind != Kind::valid) return false;
    i += u.length;
  }
  return true;
}

std::size_t incomplete_tail(std::string_view bytes) {
  // An unfinished sequence is a lead byte followed only by continuation bytes, so it starts at
  // the last non-continuation byte, and only if that is at most three bytes from the end.
  const std::size_t n = bytes.size();
  for (std::size_t k = 1; k <= std::min<std::size_t>(3, n); ++k) {
    if (is_continuation(byte_at(bytes, n - k))) continue;
    const Unit u = first_unit(bytes.substr(n - k));
    return u.kind == Kind::unfinished && u.length == k ? k : 0;
  }
  return 0;
}

std::size_t leading_continuations(std::string_view bytes) {
  std::size_t n = 0;
  while (n < 3 && n < bytes.size() && is_continuation(byte_at(bytes, n))) ++n;
  return n;
}

std::size_t leading_continuations(std::string_view before, std::string_view bytes) {
  if (bytes.empty() || !is_continuation(byte_at(bytes, 0))) return 0;
  // The unit that could reach into `bytes` starts at the last non-continuation byte of
  // `before`, no more than three bytes back (a unit is at most four bytes long).
  const std::size_t n = before.size();
  for (std::size_t back = 1; back <= std::min<std::size_t>(3, n); ++back) {
    if (is_continuation(byte_at(before, n - back))) continue;
    std::string window(before.substr(n - back));
    window.append(bytes.substr(0, 3));
    const std::size_t len = first_unit(window).length;
    return len > back ? len - back : 0;
  }
  return 0;  // no lead byte close enough: these continuation bytes are strays of their own
}

std::size_t unit_length(std::string_view bytes) { return first_unit(bytes).length; }

}  // namespace bb::utf8
