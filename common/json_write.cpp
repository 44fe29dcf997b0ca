#include "json_write.h"

#include <charconv>
#include <cstdint>
#include <cstring>

namespace bb {

namespace {

// The length of the valid UTF-8 sequence that starts at s[i] with a byte >= 0x80, or 0 if it
// is not one (overlong, a surrogate, past U+10FFFF, cut short, a stray continuation byte).
std::size_t utf8_sequence(const unsigned char* s, std::size_t i, std::size_t n) {
  const unsigned char c = s[i];
  auto cont = [&](std::size_t k) { return i + k < n && (s[i + k] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && s[i + 1] < 0xA0) return 0;   // overlong
    if (c == 0xED && s[i + 1] >= 0xA0) return 0;  // a surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && s[i + 1] < 0x90) return 0;   // overlong
    if (c == 0xF4 && s[i + 1] >= 0x90) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

// The bytes `c` takes inside a JSON string: 1, or 2 for a short escape, or 6 for \u00XX.
constexpr std::size_t escaped_size(unsigned char c) {
  if (c >= 0x20) return c == '"' || c == '\\' ? 2 : 1;
  return c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t' ? 2 : 6;
}

// Appends `s` quoted and escaped; false (and `out` untouched) if `s` is not valid UTF-8. Two
// passes: the first checks and sizes, the second writes into exactly that much room.
bool append_valid_string(std::string& out, const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t size = n + 2;
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c >= 0x80) {
      const std::size_t len = utf8_sequence(p, i, n);
      if (len == 0) return false;
      i += len;
    } else {
      size += escaped_size(c) - 1;
      ++i;
    }
  }
  const std::size_t at = out.size();
  out.resize(at + size);
  char* d = out.data() + at;
  *d++ = '"';
  if (size == n + 2) {
    std::memcpy(d, p, n);
    d += n;
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < n; ++i) {
      const unsigned char c = p[i];
      if (c >= 0x20 && c != '"' && c != '\\') {
        *d++ = static_cast<char>(c);
        continue;
      }
      *d++ = '\\';
      switch (c) {
        case '"':
          *d++ = '"';
          break;
        case '\\':
          *d++ = '\\';
          break;
        case '\b':
          *d++ = 'b';
          break;
        case '\f':
          *d++ = 'f';
          break;
        case '\n':
          *d++ = 'n';
          break;
        case '\r':
          *d++ = 'r';
          break;
        case '\t':
          *d++ = 't';
          break;
        default:
          *d++ = 'u';
          *d++ = '0';
          *d++ = '0';
          *d++ = kHex[c >> 4];
          *d++ = kHex[c & 0xF];
      }
    }
  }
  *d = '"';
  return true;
}

void append_string(std::string& out, const std::string& s) {
  if (!append_valid_string(out, s))
    out += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

template <typename Int>
void append_integer(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

void append_json(std::string& out, const nlohmann::json& j) {
  using V = nlohmann::json::value_t;
  switch (j.type()) {
    case V::object: {
      out.push_back('{');
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out.push_back(',');
        first = false;
        append_string(out, it.key());
        out.push_back(':');
        append_json(out, it.value());
      }
      out.push_back('}');
      return;
    }
    case V::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& value : j) {
        if (!first) out.push_back(',');
        first = false;
        append_json(out, value);
      }
      out.push_back(']');
      return;
    }
    case V::string:
      append_string(out, j.get_ref<const std::string&>());
      return;
    case V::boolean:
      out += j.get<bool>() ? "true" : "false";
      return;
    case V::number_integer:
      append_integer(out, j.get<std::int64_t>());
      return;
    case V::number_unsigned:
      append_integer(out, j.get<std::uint64_t>());
      return;
    case V::null:
      out += "null";
      return;
    case V::number_float:  // nlohmann's own shortest form, to the byte
    case V::binary:
    case V::discarded:
      out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return;
  }
}

}  // namespace bb
