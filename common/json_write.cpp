#include "json_write.h"

#include <charconv>
#include <cstdint>

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

// Appends `s` quoted and escaped; false (with `out` as it was) if `s` is not valid UTF-8.
bool append_valid_string(std::string& out, const std::string& s) {
  const std::size_t start_size = out.size();
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  out.reserve(out.size() + n + 2);
  out.push_back('"');
  std::size_t run = 0;  // the start of the bytes not yet copied
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c >= 0x80) {
      const std::size_t len = utf8_sequence(p, i, n);
      if (len == 0) {
        out.resize(start_size);
        return false;
      }
      i += len;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(s, run, i - run);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(esc, sizeof esc);
      }
    }
    run = ++i;
  }
  out.append(s, run, n - run);
  out.push_back('"');
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
