// The race-free start (daemon_autostart.h); the OS's part (the lock, spawning, what counts as
// an executable) is in daemon_autostart_<platform>.cpp behind autostart_platform.h.
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "autostart_platform.h"
#include "daemon_autostart.h"
#include "os.h"
#include "utf8_path.h"

namespace bb {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr const char* kDaemonName = "backburnerd";

// Connects, retrying for up to `patience` (a daemon that just reported readiness, or one that
// another client started a moment ago, may need a few ms more).
std::variant<RpcClient, std::string> connect_with_patience(const fs::path& socket,
                                                           milliseconds patience) {
  const auto deadline = Clock::now() + patience;
  while (true) {
    auto c = RpcClient::connect(socket);
    if (std::holds_alternative<RpcClient>(c) || Clock::now() >= deadline) return c;
    std::this_thread::sleep_for(milliseconds(25));
  }
}

}  // namespace

fs::path autostart_lock_path(const StatePaths& paths) { return paths.home / "autostart.lock"; }

std::vector<fs::path> default_daemon_candidates(const EnvLookup& env) {
  std::vector<fs::path> out;
  const auto self = os::current_executable();
  if (!self.empty()) out.push_back(self.parent_path() / (std::string(kDaemonName) + kExeSuffix));
  if (auto path = env("PATH")) {
    std::string_view rest = *path;
    while (true) {
      const auto colon = rest.find(kPathListSeparator);
      const auto dir = rest.substr(0, colon);
      out.push_back((dir.empty() ? fs::path(".") : utf8_path(dir)) /
                    (std::string(kDaemonName) + kExeSuffix));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  return out;
}

std::variant<RpcClient, std::string> connect_or_start_daemon(const StatePaths& paths,
                                                             const AutostartOptions& options) {
  ConnectFailure failure = ConnectFailure::other;
  auto first = RpcClient::connect(paths.socket, &failure);
  if (std::holds_alternative<RpcClient>(first)) return first;
  const std::string first_error = std::get<std::string>(first);
  // Someone else's endpoint (or one in a place others control) is never talked to, and no
  // daemon of ours could serve there either: say so instead of starting one.
  if (failure == ConnectFailure::unsafe) return first_error;

  auto locked = take_start_lock(autostart_lock_path(paths), options.lock_timeout);
  if (auto* msg = std::get_if<std::string>(&locked)) {
    return "no daemon answers at " + paths.socket.string() + " (" + first_error +
           ") and it could not be started: " + *msg;
  }
  // Released on every return below.
  const auto lock = std::get<std::unique_ptr<StartLock>>(std::move(locked));

  // Someone may have started it while we waited for the lock.
  auto second = RpcClient::connect(paths.socket);
  if (std::holds_alternative<RpcClient>(second)) return second;

  const auto candidates = options.daemon_candidates.empty()
                              ? default_daemon_candidates(process_env())
                              : options.daemon_candidates;
  std::optional<fs::path> exe;
  for (const auto& c : candidates) {
    if (is_executable_file(c)) {
      exe = c;
      break;
    }
  }
  if (!exe) {
    return "no daemon answers at " + paths.socket.string() + " (" + first_error +
           ") and backburnerd was found neither next to this program nor on PATH; "
           "install backburnerd there or start it yourself";
  }

  const auto spawned = spawn_daemon(*exe, options.start_timeout);
  if (!spawned.error.empty()) return "could not start the daemon: " + spawned.error;
  // Exit 0: it serves now. Non-zero may mean that another daemon (started without this lock,
  // e.g. by hand) already serves this state dir: connecting decides.
  const auto patience =
      spawned.exited && spawned.exit_status == 0 ? milliseconds(2000) : milliseconds(1000);
  auto third = connect_with_patience(paths.socket, patience);
  if (std::holds_alternative<RpcClient>(third)) return third;

  std::string why;
  if (!spawned.exited) {
    why = "it did not report readiness within " +
          std::to_string(options.start_timeout.count() / 1000) + " s";
  } else if (spawned.exit_status != 0) {
    why = "it exited with status " + std::to_string(spawned.exit_status);
  } else {
    why = "it reported readiness but does not accept connections (" + std::get<std::string>(third) +
          ")";
  }
  if (!spawned.stderr_text.empty()) why += ": " + spawned.stderr_text;
  return "started " + exe->string() + " but " + why + ". See " + paths.log_file.string();
}

}  // namespace bb
