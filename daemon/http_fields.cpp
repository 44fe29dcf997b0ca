#include "http_fields.h"

namespace bb::dashboard {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
               hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos)
      out[percent_decode(pair, true)] = "";
    else
      out[percent_decode(pair.substr(0, eq), true)] = percent_decode(pair.substr(eq + 1), true);
  }
  return out;
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string item = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    const auto eq = item.find('=');
    if (eq != std::string::npos && item.compare(0, eq, name) == 0 && eq == name.size())
      return item.substr(eq + 1);
  }
  return std::nullopt;
}

std::variant<std::monostate, ByteRange, Unsatisfiable> parse_range(std::string_view header,
                                                                  std::uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  if (header.substr(0, kUnit.size()) != kUnit) return std::monostate{};
  std::string_view spec = header.substr(kUnit.size());
  if (spec.find(',') != std::string_view::npos) return std::monostate{};  // several: whole file
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return std::monostate{};
  auto number = [](std::string_view t) -> std::optional<std::uint64_t> {
    if (t.empty() || t.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
  };
  const std::string first_text = trim(spec.substr(0, dash));
  const std::string last_text = trim(spec.substr(dash + 1));
  if (first_text.empty()) {  // bytes=-N: the last N bytes
    auto n = number(last_text);
    if (!n) return std::monostate{};
    if (*n == 0 || size == 0) return Unsatisfiable{};
    const std::uint64_t len = std::min(*n, size);
    return ByteRange{size - len, size - 1};
  }
  auto first = number(first_text);
  if (!first) return std::monostate{};
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!last_text.empty()) {
    auto l = number(last_text);
    if (!l || *l < *first) return std::monostate{};
    last = std::min(*l, last);
  }
  if (*first >= size) return Unsatisfiable{};
  return ByteRange{*first, last};
}

}  // namespace bb::dashboard
