#include "keeper_options.h"

#include <charconv>
#include <string_view>

namespace bb::keeper {

namespace {
bool parse_int64(std::string_view s, std::int64_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}
}  // namespace

const char* keeper_usage() {
  return "usage: backburner-keeper --task-dir DIR --cwd DIR [--deadline-ms EPOCH_MS] "
         "[--grace-ms N] [--lock-fd N] [--ready-fd N] [--umask OCTAL] [--stdin-pipe] [--no-flush] [--log-cap BYTES] "
         "-- COMMAND\n";
}

std::variant<KeeperOptions, UsageError, HelpRequested> parse_keeper_args(int argc,
                                                                         const char* const* argv) {
  KeeperOptions o;
  bool have_command = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return HelpRequested{};
    if (arg == "--") {
      if (argc - i - 1 != 1) return UsageError{"expected exactly one COMMAND argument after --"};
      o.command = argv[i + 1];
      have_command = true;
      break;
    }
    if (arg == "--stdin-pipe") {
      o.stdin_pipe = true;
      continue;
    }
    if (arg == "--no-flush") {
      o.flush = false;
      continue;
    }
    if (arg != "--task-dir" && arg != "--cwd" && arg != "--deadline-ms" && arg != "--grace-ms" &&
        arg != "--lock-fd" && arg != "--ready-fd" && arg != "--umask" && arg != "--log-cap")
      return UsageError{"unknown option " + std::string(arg)};
    if (i + 1 >= argc) return UsageError{"missing value for " + std::string(arg)};
    std::string_view value = argv[++i];
    if (arg == "--task-dir") {
      o.task_dir = value;
    } else if (arg == "--cwd") {
      o.cwd = value;
    } else if (arg == "--deadline-ms") {
      std::int64_t v = 0;
      if (!parse_int64(value, v)) return UsageError{"--deadline-ms needs an integer (epoch ms)"};
      o.deadline_ms = v;
    } else if (arg == "--lock-fd" || arg == "--ready-fd") {
      std::int64_t v = 0;
      if (!parse_int64(value, v) || v < 3 || v > 1024)
        return UsageError{std::string(arg) + " needs a descriptor number from 3 to 1024"};
      (arg == "--lock-fd" ? o.lock_fd : o.ready_fd) = static_cast<int>(v);
    } else if (arg == "--umask") {
      unsigned v = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v, 8);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size() || v > 0777)
        return UsageError{"--umask needs an octal mode from 0 to 777"};
      o.umask = static_cast<int>(v);
    } else if (arg == "--log-cap") {
      std::int64_t v = 0;
      if (!parse_int64(value, v) || v < 0) return UsageError{"--log-cap needs a byte count"};
      o.log_cap_bytes = static_cast<std::uint64_t>(v);
    } else {  // --grace-ms
      if (!parse_int64(value, o.grace_ms) || o.grace_ms < 0)
        return UsageError{"--grace-ms needs a non-negative integer"};
    }
  }
  if (o.task_dir.empty()) return UsageError{"--task-dir is required"};
  if (o.cwd.empty()) return UsageError{"--cwd is required"};
  if (!have_command) return UsageError{"-- COMMAND is required"};
  return o;
}

}  // namespace bb::keeper
