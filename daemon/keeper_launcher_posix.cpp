#include "keeper_launcher.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include "keeper_files.h"

namespace bb {

namespace fs = std::filesystem;

PosixKeeperLauncher::PosixKeeperLauncher(fs::path keeper_exe) : exe_(std::move(keeper_exe)) {}

fs::path default_keeper_path() {
  if (const char* p = std::getenv("BACKBURNER_KEEPER"); p && *p) return p;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "backburner-keeper";
  return self.parent_path() / "backburner-keeper";
}

std::variant<ProcessIdentity, std::string> PosixKeeperLauncher::launch(const KeeperSpec& spec) {
  std::vector<std::string> args = {exe_.string(), "--task-dir", spec.task_dir.string(), "--cwd",
                                   spec.cwd, "--grace-ms", std::to_string(spec.grace_ms)};
  if (spec.deadline_ms) {
    args.push_back("--deadline-ms");
    args.push_back(std::to_string(*spec.deadline_ms));
  }
  args.push_back("--");
  args.push_back(spec.command);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  const std::string log = (spec.task_dir / keeper::kKeeperLog).string();
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  // Nothing of the daemon (its socket, its database, client connections) leaks into a task.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  // The keeper handles these through a signalfd. Starting with them already blocked closes
  // the window before it blocks them itself, in which a cancel (SIGUSR1) would kill it
  // before it could record anything.
  sigset_t handled, all;
  sigemptyset(&handled);
  for (int sig : {SIGCHLD, SIGUSR1, SIGTERM, SIGINT, SIGHUP}) sigaddset(&handled, sig);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &handled);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, exe_.c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    return "cannot start the keeper " + exe_.string() + ": " + std::strerror(rc);
  // A child that has not been reaped keeps its /proc entry even if it already exited.
  auto start = process_start_time(pid);
  return ProcessIdentity{pid, start.value_or(0)};
}

}  // namespace bb
