#include "daemon_log.h"

#include <cstdio>

#include "iso_time.h"
#include "os.h"

namespace bb {

void daemon_log(const std::string& message) {
  const std::string line = iso_utc(now_ms()) + " backburnerd[" +
                           std::to_string(os::current_pid()) + "]: " + message + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace bb
