#include "progress.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "utf8.h"

namespace bb {

namespace {

constexpr std::string_view kMarker = "::progress";
constexpr std::size_t kMaxDigits = 15;  // whole numbers stay far from int64 overflow
constexpr double kAgreement = 1.0;      // points within which a count and a percentage agree

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
bool digit_at(std::string_view s, std::size_t i) { return i < s.size() && is_digit(s[i]); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Digits only, 1..kMaxDigits of them.
std::optional<std::int64_t> whole(std::string_view digits) {
  if (digits.empty() || digits.size() > kMaxDigits) return std::nullopt;
  std::int64_t v = 0;
  for (const char c : digits) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// "45" or "45.5": at most kMaxDigits digits before the point and after it.
std::optional<double> decimal(std::string_view s) {
  const std::size_t dot = s.find('.');
  const std::string_view int_part = s.substr(0, dot);
  const auto i = whole(int_part);
  if (!i) return std::nullopt;
  double v = static_cast<double>(*i);
  if (dot != std::string_view::npos) {
    const std::string_view frac = s.substr(dot + 1);
    const auto f = whole(frac);
    if (!f) return std::nullopt;
    v += static_cast<double>(*f) / std::pow(10.0, static_cast<double>(frac.size()));
  }
  return v;
}

double percent_of(std::int64_t current, std::int64_t total) {
  return std::clamp(100.0 * static_cast<double>(current) / static_cast<double>(total), 0.0, 100.0);
}

// A number glued to one of these on its left is part of something else: a version, a path,
// an address, a time, a sign, a decimal with a comma.
bool glued_left(std::string_view line, std::size_t start) {
  if (start == 0) return false;
  const char c = line[start - 1];
  return is_alnum(c) || std::string_view("./:-_,+\\%").find(c) != std::string_view::npos;
}

// The same on the right of a count; a '.', ',', ':' or '-' only when a digit follows (a
// sentence may end with "3/7.", cargo writes "120/250: serde").
bool glued_right(std::string_view line, std::size_t end) {
  if (end >= line.size()) return false;
  const char c = line[end];
  if (is_alnum(c) || c == '/' || c == '\\' || c == '%') return true;
  return std::string_view(".,:-").find(c) != std::string_view::npos && digit_at(line, end + 1);
}

bool leading_zero(std::string_view digits) { return digits.size() > 1 && digits[0] == '0'; }

struct Count {
  std::int64_t current = 0;
  std::int64_t total = 0;
  std::size_t at = 0;  // where it starts on its line
};

std::optional<Count> make_count(std::string_view line, std::size_t start, std::string_view n,
                                std::string_view m, std::size_t end) {
  if (glued_left(line, start) || glued_right(line, end)) return std::nullopt;
  if (leading_zero(n) || leading_zero(m)) return std::nullopt;
  const auto cur = whole(n);
  const auto tot = whole(m);
  if (!cur || !tot || *tot == 0 || *cur > *tot) return std::nullopt;
  return Count{*cur, *tot, start};
}

std::size_t digits_before(std::string_view s, std::size_t end) {
  std::size_t k = end;
  while (k > 0 && is_digit(s[k - 1])) --k;
  return k;
}
std::size_t digits_after(std::string_view s, std::size_t start) {
  std::size_t k = start;
  while (k < s.size() && is_digit(s[k])) ++k;
  return k;
}

// The last count on the line: "N/M" or "N of M".
std::optional<Count> last_count(std::string_view line) {
  std::optional<Count> best;
  for (std::size_t p = line.find('/'); p != std::string_view::npos; p = line.find('/', p + 1)) {
    const std::size_t k = digits_before(line, p);
    const std::size_t m = digits_after(line, p + 1);
    if (k == p || m == p + 1) continue;
    const std::string_view n = line.substr(k, p - k);
    if (auto c = make_count(line, k, n, line.substr(p + 1, m - p - 1), m)) best = c;
  }
  constexpr std::string_view of = " of ";
  for (std::size_t p = line.find(of); p != std::string_view::npos; p = line.find(of, p + 1)) {
    const std::size_t k = digits_before(line, p);
    const std::size_t r = p + of.size();
    const std::size_t m = digits_after(line, r);
    if (k == p || m == r) continue;
    auto c = make_count(line, k, line.substr(k, p - k), line.substr(r, m - r), m);
    if (c && (!best || c->at > best->at)) best = c;
  }
  return best;
}

// The last percentage on the line, 0..100.
std::optional<double> last_percent(std::string_view line) {
  std::optional<double> best;
  for (std::size_t p = line.find('%'); p != std::string_view::npos; p = line.find('%', p + 1)) {
    std::size_t k = digits_before(line, p);
    if (k == p) continue;
    if (k >= 2 && line[k - 1] == '.' && is_digit(line[k - 2])) k = digits_before(line, k - 1);
    if (glued_left(line, k)) continue;
    if (p + 1 < line.size() && (is_alnum(line[p + 1]) || line[p + 1] == '%')) continue;
    const auto v = decimal(line.substr(k, p - k));
    if (v && *v <= 100.0) best = v;
  }
  return best;
}

bool time_shaped(std::string_view s) {  // "--:--:--" or "0:00:04"
  if (s == "--:--:--") return true;
  const std::size_t a = s.find(':');
  return a != std::string_view::npos && a > 0 && a + 6 == s.size() && whole(s.substr(0, a)) &&
         s[a + 3] == ':' && whole(s.substr(a + 1, 2)) && whole(s.substr(a + 4, 2));
}

// A row of curl's progress meter: % Total % Received % Xferd Dload Upload Total Spent Left Speed.
std::optional<double> curl_meter(std::string_view line) {
  std::array<std::string_view, 12> f;
  std::size_t n = 0;
  for (std::size_t i = 0; i < line.size();) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size()) break;
    std::size_t j = i;
    while (j < line.size() && !is_space(line[j])) ++j;
    if (n == f.size()) return std::nullopt;
    f[n++] = line.substr(i, j - i);
    i = j;
  }
  if (n != f.size()) return std::nullopt;
  for (const std::size_t k : std::array<std::size_t, 3>{0, 2, 4}) {
    const auto v = whole(f[k]);
    if (!v || *v > 100) return std::nullopt;
  }
  if (!time_shaped(f[8]) || !time_shaped(f[9]) || !time_shaped(f[10])) return std::nullopt;
  return static_cast<double>(*whole(f[0]));
}

// tqdm without a total: "rows: 230it [00:02, 97.89it/s]".
std::optional<std::int64_t> tqdm_count(std::string_view line) {
  std::optional<std::int64_t> best;
  constexpr std::string_view it = "it [";
  for (std::size_t p = line.find(it); p != std::string_view::npos; p = line.find(it, p + 1)) {
    const std::size_t k = digits_before(line, p);
    if (k == p || glued_left(line, k) || leading_zero(line.substr(k, p - k))) continue;
    if (auto v = whole(line.substr(k, p - k))) best = v;
  }
  return best;
}

// Progress shown by one line of ordinary output, if any.
std::optional<Progress> infer(std::string_view line) {
  Progress p;
  if (const auto v = curl_meter(line)) {
    p.percent = v;
    return p;
  }
  const auto percent = last_percent(line);
  const auto count = last_count(line);
  const bool agree =
      count &&
      (!percent || std::abs(percent_of(count->current, count->total) - *percent) <= kAgreement);
  if (agree) {
    p.current = count->current;
    p.total = count->total;
  }
  if (percent) {
    p.percent = percent;
  } else if (count) {
    p.percent = percent_of(count->current, count->total);
  } else if (const auto n = tqdm_count(line)) {
    p.current = n;
  } else {
    return std::nullopt;
  }
  return p;
}

std::string message_of(std::string_view line) {
  std::string s = utf8::sanitize(trim(line));
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (chars++ == kMaxMessageChars) {
      s.resize(i);
      break;
    }
  }
  return std::string(trim(s));
}

struct Marker {
  Progress progress;
  bool has_message = false;
};

// "::progress 40/100 message" or "::progress 45% message"; nullopt if the line is not one.
std::optional<Marker> marker(std::string_view line) {
  std::string_view s = trim(line);
  if (!s.starts_with(kMarker)) return std::nullopt;
  s.remove_prefix(kMarker.size());
  if (s.empty() || !is_space(s.front())) return std::nullopt;
  s = trim(s);
  std::size_t end = 0;
  while (end < s.size() && !is_space(s[end])) ++end;
  const std::string_view spec = s.substr(0, end);
  Marker m;
  if (spec.ends_with('%')) {
    const auto v = decimal(spec.substr(0, spec.size() - 1));
    if (!v) return std::nullopt;
    m.progress.percent = std::clamp(*v, 0.0, 100.0);
  } else {
    const std::size_t slash = spec.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const auto cur = whole(spec.substr(0, slash));
    const auto tot = whole(spec.substr(slash + 1));
    if (!cur || !tot || *tot == 0) return std::nullopt;
    m.progress.current = cur;
    m.progress.total = tot;
    m.progress.percent = percent_of(*cur, *tot);
  }
  const std::string_view message = trim(s.substr(end));
  m.has_message = !message.empty();
  m.progress.message = message_of(message);
  return m;
}

// Cargo's status lines: a verb right-aligned to twelve columns, then a space.
bool cargo_status(std::string_view line) {
  static constexpr std::string_view verbs[] = {
      "Compiling", "Checking",  "Building",    "Downloading", "Downloaded", "Fresh",
      "Finished",  "Running",   "Documenting", "Installing",  "Installed",  "Updating",
      "Locking",   "Packaging", "Verifying",   "Fetching"};
  const std::size_t indent = line.find_first_not_of(' ');
  if (indent == std::string_view::npos) return false;
  for (const std::string_view v : verbs) {
    if (indent + v.size() == 12 && line.substr(indent).starts_with(v) && line.size() > 13 &&
        line[12] == ' ') {
      return true;
    }
  }
  return false;
}

// What a terminal shows of a line that still holds '\r' (input not cleaned): its last redraw.
std::string_view shown(std::string_view line) {
  while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::size_t cr = line.rfind('\r');
  return cr == std::string_view::npos ? line : line.substr(cr + 1);
}

}  // namespace

std::optional<Progress> parse_progress(std::string_view tail) {
  std::optional<Progress> inferred;
  std::optional<std::string_view> status;  // the last non-empty line that is not a marker
  bool cargo = false;
  std::size_t end = tail.size();
  for (;;) {  // lines from the last one back
    const std::size_t nl = end == 0 ? std::string_view::npos : tail.rfind('\n', end - 1);
    const std::size_t begin = nl == std::string_view::npos ? 0 : nl + 1;
    const std::string_view line = shown(tail.substr(begin, end - begin));
    if (auto m = marker(line)) {
      if (!m->has_message && status) m->progress.message = message_of(*status);
      return m->progress;
    }
    if (!trim(line).empty()) {
      if (!status) status = line;
      if (!inferred) inferred = infer(line);
      if (!inferred && !cargo) cargo = cargo_status(line);
    }
    if (nl == std::string_view::npos) break;
    end = nl;
  }
  if (!inferred && !cargo) return std::nullopt;
  Progress p = inferred.value_or(Progress{});
  p.message = status ? message_of(*status) : std::string();
  return p;
}

}  // namespace bb
