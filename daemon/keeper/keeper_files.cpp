#include "keeper_files.h"

#include <charconv>
#include <system_error>

#include "file_io.h"

namespace bb::keeper {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxFileSize = std::size_t{64} * 1024;  // both files are a few hundred bytes

constexpr struct {
  How how;
  const char* name;
} kHowNames[] = {
    {How::exited, "exited"},           {How::signaled, "signaled"},
    {How::timed_out, "timed_out"},     {How::cancelled, "cancelled"},
    {How::interrupted, "interrupted"}, {How::spawn_failed, "spawn_failed"},
};

template <typename Int>
bool parse_int(std::string_view s, Int& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

template <typename Int>
bool parse_opt_int(std::string_view s, std::optional<Int>& out) {
  if (s.empty()) {
    out.reset();
    return true;
  }
  Int v{};
  if (!parse_int(s, v)) return false;
  out = v;
  return true;
}

bool parse_pid_list(std::string_view s, std::vector<std::int64_t>& out) {
  out.clear();
  while (!s.empty()) {
    std::size_t comma = s.find(',');
    std::int64_t pid = 0;
    if (!parse_int(s.substr(0, comma), pid)) return false;
    out.push_back(pid);
    s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
  }
  return true;
}

// Calls on_pair(key, value) for each `key=value` line; lines without '=' are skipped. Stops and
// returns false as soon as on_pair does.
template <typename F>
bool for_each_pair(std::string_view text, F&& on_pair) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    if (!on_pair(line.substr(0, eq), line.substr(eq + 1))) return false;
  }
  return true;
}

void append_pair(std::string& out, const char* key, std::string_view value) {
  out += key;
  out += '=';
  out += value;
  out += '\n';
}

std::string one_line(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return out;
}

}  // namespace

const char* to_string(How how) {
  for (const auto& e : kHowNames)
    if (e.how == how) return e.name;
  return "unknown";
}

std::optional<How> how_from_string(std::string_view s) {
  for (const auto& e : kHowNames)
    if (s == e.name) return e.how;
  return std::nullopt;
}

std::optional<RunRecord> read_run(const fs::path& task_dir) {
  auto text = fileio::read_small_file(task_dir / kRunFile, kMaxFileSize);
  if (!text) return std::nullopt;
  RunRecord r;
  unsigned seen = 0;  // one bit per required key
  bool ok = for_each_pair(*text, [&](std::string_view k, std::string_view v) {
    if (k == "keeper_pid") {
      seen |= 1;
      return parse_int(v, r.keeper_pid);
    }
    if (k == "keeper_start") {
      seen |= 2;
      return parse_int(v, r.keeper_start);
    }
    if (k == "shell_pid") {
      seen |= 4;
      return parse_int(v, r.shell_pid);
    }
    if (k == "shell_start") {
      seen |= 8;
      return parse_int(v, r.shell_start);
    }
    if (k == "started_at_ms") {
      seen |= 16;
      return parse_int(v, r.started_at_ms);
    }
    if (k == "boot_id") {
      r.boot_id = std::string(v);
      return true;
    }
    return true;
  });
  if (!ok || seen != 31) return std::nullopt;
  return r;
}

std::optional<Outcome> read_outcome(const fs::path& task_dir) {
  auto text = fileio::read_small_file(task_dir / kOutcomeFile, kMaxFileSize);
  if (!text) return std::nullopt;
  Outcome o;
  bool have_how = false;
  bool ok = for_each_pair(*text, [&](std::string_view k, std::string_view v) {
    if (k == "how") {
      auto how = how_from_string(v);
      if (how) o.how = *how;
      have_how = how.has_value();
      return have_how;
    }
    if (k == "exit_code") return parse_opt_int(v, o.exit_code);
    if (k == "signal") return parse_opt_int(v, o.signal);
    if (k == "started_at_ms") return parse_int(v, o.started_at_ms);
    if (k == "finished_at_ms") return parse_int(v, o.finished_at_ms);
    if (k == "survivors") return parse_pid_list(v, o.survivors);
    if (k == "message") {
      o.message = std::string(v);
      return true;
    }
    return true;
  });
  if (!ok || !have_how) return std::nullopt;
  return o;
}

bool write_run(const fs::path& task_dir, const RunRecord& r) {
  std::string text;
  append_pair(text, "keeper_pid", std::to_string(r.keeper_pid));
  append_pair(text, "keeper_start", std::to_string(r.keeper_start));
  append_pair(text, "shell_pid", std::to_string(r.shell_pid));
  append_pair(text, "shell_start", std::to_string(r.shell_start));
  append_pair(text, "started_at_ms", std::to_string(r.started_at_ms));
  if (!r.boot_id.empty()) append_pair(text, "boot_id", r.boot_id);
  // Not flushed: `run` only matters while the machine is up (after a power cut no keeper or
  // shell of before can be alive), so a flush would only slow every start down.
  return !fileio::replace_file(task_dir / kRunFile, text, fileio::Durability::none);
}

std::string format_outcome(const Outcome& o) {
  std::string survivors;
  for (std::int64_t pid : o.survivors) {
    if (!survivors.empty()) survivors += ',';
    survivors += std::to_string(pid);
  }
  std::string text;
  append_pair(text, "how", to_string(o.how));
  if (o.exit_code) append_pair(text, "exit_code", std::to_string(*o.exit_code));
  if (o.signal) append_pair(text, "signal", std::to_string(*o.signal));
  append_pair(text, "started_at_ms", std::to_string(o.started_at_ms));
  append_pair(text, "finished_at_ms", std::to_string(o.finished_at_ms));
  append_pair(text, "survivors", survivors);
  append_pair(text, "message", one_line(o.message));
  return text;
}

bool write_outcome(const fs::path& task_dir, const Outcome& o) {
  return !fileio::replace_file(task_dir / kOutcomeFile, format_outcome(o),
                               fileio::Durability::sync);
}

std::string format_keeper_identity(const KeeperIdentity& id) {
  std::string text;
  append_pair(text, "keeper_pid", std::to_string(id.pid));
  append_pair(text, "keeper_start", std::to_string(id.start_time));
  append_pair(text, "boot_id", id.boot_id);
  return text;
}

std::optional<KeeperIdentity> read_keeper_identity(const fs::path& task_dir) {
  auto text = fileio::read_small_file(task_dir / kKeeperLock, kMaxFileSize);
  if (!text) return std::nullopt;
  KeeperIdentity id;
  unsigned seen = 0;
  bool ok = for_each_pair(*text, [&](std::string_view k, std::string_view v) {
    if (k == "keeper_pid") {
      seen |= 1;
      return parse_int(v, id.pid);
    }
    if (k == "keeper_start") {
      seen |= 2;
      return parse_int(v, id.start_time);
    }
    if (k == "boot_id") id.boot_id = std::string(v);
    return true;
  });
  if (!ok || seen != 3) return std::nullopt;
  return id;
}

}  // namespace bb::keeper
