// backburnerd: the per-user task daemon. See docs/ARCHITECTURE.md.
#include <cstring>
#include <iostream>

#include "daemon_host.h"
#include "version.h"

namespace {
constexpr const char* kUsage =
    "usage: backburnerd [--foreground]\n"
    "\n"
    "Runs the backburner daemon for this user's state dir ($BACKBURNER_HOME, default\n"
    "~/.backburner). Without --foreground it detaches and returns once the daemon serves\n"
    "(status 0), or prints why it could not start (status 1; 3 if one already runs).\n"
    "Stopping the daemon (SIGTERM, SIGINT, or a shutdown request) leaves tasks running.\n"
    "\n"
    "  --foreground   serve in this process until SIGTERM/SIGINT; logs go to stderr\n"
    "  --version      print the version\n"
    "  --help         print this help\n";
}

int main(int argc, char** argv) {
  bool foreground = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--foreground") == 0 || std::strcmp(argv[i], "-f") == 0) {
      foreground = true;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << kUsage;
      return 0;
    } else if (std::strcmp(argv[i], "--version") == 0) {
      std::cout << "backburnerd " << BACKBURNER_VERSION << "\n";
      return 0;
    } else {
      std::cerr << "backburnerd: unknown argument \"" << argv[i] << "\"\n" << kUsage;
      return bb::kExitUsage;
    }
  }
  return foreground ? bb::run_daemon(bb::DaemonOptions{}) : bb::detach_and_run();
}
