#include "process_stdio.h"

#include <cerrno>

#include <unistd.h>

#include "os.h"

namespace bb::shim {

void prepare_process_stdio() { os::prepare_stdio_for_protocol(); }

std::ptrdiff_t read_stdin(char* data, std::size_t size) {
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, data, size);
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

bool write_stdout(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace bb::shim
