#include "reaper_posix.h"

#include <cerrno>

#include <sys/wait.h>

#include "iso_time.h"

namespace bb::keeper {

bool Reaper::reap() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      if (pid == shell_pid_) {
        shell_status_ = status;
        shell_exit_ms_ = now_ms();
      }
      continue;
    }
    if (pid == 0) return true;
    if (errno == EINTR) continue;
    return false;  // ECHILD
  }
}

}  // namespace bb::keeper
