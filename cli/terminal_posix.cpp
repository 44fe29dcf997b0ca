#include <sys/ioctl.h>
#include <unistd.h>

#include "terminal.h"

namespace bb::cli {

namespace {
int fd_of(StdStream s) { return s == StdStream::out ? STDOUT_FILENO : STDERR_FILENO; }
}  // namespace

bool is_terminal(StdStream s) { return ::isatty(fd_of(s)) == 1; }

int terminal_columns(StdStream s) {
  const int fd = fd_of(s);
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 0;
}

}  // namespace bb::cli
