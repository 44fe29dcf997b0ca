#include "process_tree_posix.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <unordered_map>

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "process_identity.h"

namespace bb::keeper {


std::vector<ProcInfo> descendants_of(std::int64_t root) {
  std::unordered_multimap<std::int64_t, ProcInfo> by_parent;
  if (DIR* dir = ::opendir("/proc")) {
    while (dirent* e = ::readdir(dir)) {
      char* end = nullptr;
      long long pid = std::strtoll(e->d_name, &end, 10);
      if (end == e->d_name || *end != '\0' || pid <= 0) continue;
      if (auto info = read_proc_stat(pid)) by_parent.emplace(info->ppid, *info);
    }
    ::closedir(dir);
  }
  std::vector<ProcInfo> out;
  std::vector<std::int64_t> parents = {root};
  // Breadth first; the kernel keeps the parent links acyclic, so this terminates.
  for (std::size_t i = 0; i < parents.size(); ++i) {
    auto [first, last] = by_parent.equal_range(parents[i]);
    for (auto it = first; it != last; ++it) {
      out.push_back(it->second);
      parents.push_back(it->second.pid);
    }
  }
  return out;
}

bool signal_process(const ProcInfo& p, int sig) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(p.pid), 0));
  if (fd < 0) return false;
  bool sent = process_start_time(p.pid) == p.start_time &&
              ::syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) == 0;
  ::close(fd);
  return sent;
}

}  // namespace bb::keeper
