#include "task_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "exit_codes.h"
#include "iso_time.h"
#include "signal_names.h"

namespace bb::cli {

namespace {

std::string two_units(long long big, long long small, const char* big_unit,
                      const char* small_unit) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld%s%02lld%s", big, big_unit, small, small_unit);
  return buf;
}

}  // namespace

std::string format_duration(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  if (seconds < 1) return std::to_string(static_cast<int>(std::round(seconds * 1000))) + "ms";
  if (seconds < 10) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", std::floor(seconds * 10) / 10);
    return buf;
  }
  const auto s = static_cast<long long>(seconds);
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return two_units(s / 60, s % 60, "m", "s");
  if (s < 86400) return two_units(s / 3600, (s % 3600) / 60, "h", "m");
  return two_units(s / 86400, (s % 86400) / 3600, "d", "h");
}

std::string format_age(const std::string& iso, std::int64_t now) {
  const auto t = parse_iso_utc(iso);
  if (!t) return "?";
  const double s = static_cast<double>(std::max<std::int64_t>(0, now - *t)) / 1000.0;
  if (s < 1) return "just now";
  const auto whole = static_cast<long long>(s);
  if (whole < 60) return std::to_string(whole) + "s ago";
  if (whole < 3600) return std::to_string(whole / 60) + "m ago";
  if (whole < 86400) return std::to_string(whole / 3600) + "h ago";
  return std::to_string(whole / 86400) + "d ago";
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string status_words(const proto::TaskView& t) {
  std::string w = proto::to_string(t.status);
  if (t.status == proto::Status::failed && t.exit_code) {
    w += " (exit " + std::to_string(*t.exit_code) + ")";
  } else if (t.signal && t.status != proto::Status::working) {
    w += " (" + *t.signal + ")";
  }
  return w;
}

Colour status_colour(proto::Status s) {
  switch (s) {
    case proto::Status::working:
      return Colour::cyan;
    case proto::Status::completed:
      return Colour::green;
    case proto::Status::failed:
      return Colour::red;
    case proto::Status::cancelled:
      return Colour::yellow;
    case proto::Status::timed_out:
      return Colour::magenta;
    case proto::Status::interrupted:
      return Colour::yellow;
  }
  return Colour::bold;
}

double task_seconds(const proto::TaskView& t) {
  if (t.duration_seconds) return *t.duration_seconds;
  if (t.running_for_seconds) return *t.running_for_seconds;
  return 0;
}

int wait_exit_status(const proto::TaskView& t) {
  switch (t.status) {
    case proto::Status::working:
      return kExitWaitTimedOut;
    case proto::Status::completed:
      return kExitOk;
    case proto::Status::cancelled:
      return kExitCancelled;
    case proto::Status::timed_out:
      return kExitTaskTimedOut;
    case proto::Status::interrupted:
      return kExitInterrupted;
    case proto::Status::failed:
      if (t.exit_code) return *t.exit_code >= 1 && *t.exit_code <= 255 ? *t.exit_code : kExitError;
      if (t.signal) {
        if (auto n = signal_number(*t.signal); n && *n > 0 && *n < 128) return kExitSignalBase + *n;
      }
      return kExitError;
  }
  return kExitError;
}

std::string one_line(const std::string& text, std::size_t width) {
  std::string flat;
  flat.reserve(text.size());
  for (char c : text) flat += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (width == 0) return flat;
  // Count characters: every byte that does not continue a UTF-8 sequence starts one.
  std::size_t chars = 0;
  for (unsigned char c : flat) chars += (c & 0xC0) != 0x80;
  if (chars <= width) return flat;
  const std::size_t keep = width > 3 ? width - 3 : width;
  std::size_t seen = 0;
  std::size_t cut = 0;
  for (; cut < flat.size(); ++cut) {
    if ((static_cast<unsigned char>(flat[cut]) & 0xC0) != 0x80) {
      if (seen == keep) break;
      ++seen;
    }
  }
  return flat.substr(0, cut) + (width > 3 ? "..." : "");
}

std::string progress_words(const proto::TaskView& t) {
  if (!t.progress || t.status != proto::Status::working) return "";
  const auto& p = *t.progress;
  std::string w;
  if (p.percent) w = std::to_string(static_cast<int>(*p.percent)) + "%";
  if (p.current && p.total) {
    w += (w.empty() ? "" : " ") + std::to_string(*p.current) + "/" + std::to_string(*p.total);
  } else if (p.current) {
    w += (w.empty() ? "" : " ") + std::to_string(*p.current);
  }
  return w;
}

}  // namespace bb::cli
