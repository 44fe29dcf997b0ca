#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "service_host.h"

extern char** environ;

namespace bb::cli {

ServiceOs host_service_os() {
#if defined(__APPLE__)
  return ServiceOs::macos_launchd;
#else
  return ServiceOs::linux_systemd;
#endif
}

std::string current_uid() { return std::to_string(::getuid()); }

std::filesystem::path own_directory() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : self.parent_path();
}

std::variant<int, std::string> run_command(const std::vector<std::string>& argv) {
  if (argv.empty()) return std::string("no command");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0].c_str(), nullptr, nullptr, args.data(), environ);
  if (rc != 0) return "cannot run " + argv[0] + ": " + std::strerror(rc);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return "waiting for " + argv[0] + ": " + std::strerror(errno);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace bb::cli
