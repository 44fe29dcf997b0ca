#include "os.h"

#include <cerrno>
#include <csignal>
#include <signal.h>
#include <cstdio>
#include <fstream>
#include <system_error>

#include <sys/random.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

extern char** environ;

namespace bb::os {

std::vector<std::string> environment() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) out.emplace_back(*e);
  return out;
}

std::int64_t current_pid() { return ::getpid(); }

bool process_exists(std::int64_t pid) {
  if (pid <= 0) return false;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(f, stat)) return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

void random_bytes(std::span<unsigned char> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    done += static_cast<std::size_t>(n);
  }
}

std::filesystem::path current_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : p;
}

const std::string& boot_id() {
  static const std::string id = [] {
    std::ifstream f("/proc/sys/kernel/random/boot_id");
    std::string s;
    std::getline(f, s);
    return s;
  }();
  return id;
}

void prepare_stdio_for_protocol() { std::signal(SIGPIPE, SIG_IGN); }

void release_free_memory() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

void limit_retained_memory() {
#if defined(__GLIBC__)
  // A fixed threshold also turns off glibc's dynamic one, which would otherwise rise after the
  // first large free and keep later large buffers in the heap.
  ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
}

}  // namespace bb::os
