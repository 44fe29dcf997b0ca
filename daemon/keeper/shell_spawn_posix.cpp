#include "shell_spawn_posix.h"

#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

extern char** environ;

namespace bb::keeper {

std::variant<pid_t, std::string> spawn_shell(const std::string& command,
                                             const std::filesystem::path& cwd,
                                             const std::filesystem::path& output_log,
                                             int stdin_fd, int umask) {
  int out = ::open(output_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (out < 0) return "cannot open " + output_log.string() + ": " + std::strerror(errno);

  // File actions run in the child in this order; glibc reports a failing one (chdir) or a failed
  // exec as posix_spawn's return value.
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  if (stdin_fd >= 0)
    posix_spawn_file_actions_adddup2(&fa, stdin_fd, 0);
  else
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out, 1);
  posix_spawn_file_actions_adddup2(&fa, out, 2);
  // The keeper's own fds are all close-on-exec; this also covers anything inherited by mistake.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  char arg0[] = "sh";
  char arg1[] = "-c";
  char* argv[] = {arg0, arg1, const_cast<char*>(command.c_str()), nullptr};
  pid_t pid = -1;
  // The child inherits the umask at the spawn; the keeper's own stays private.
  const mode_t keeper_umask = ::umask(static_cast<mode_t>(umask));
  int rc = ::posix_spawn(&pid, kShell, &fa, &attr, argv, environ);
  ::umask(keeper_umask);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(out);
  if (rc != 0)
    return std::string("cannot start ") + kShell + " in " + cwd.string() + ": " + std::strerror(rc);
  return pid;
}

}  // namespace bb::keeper
