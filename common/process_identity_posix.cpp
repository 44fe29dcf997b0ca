#include "process_identity.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace bb {

std::optional<ProcStat> read_proc_stat(std::int64_t pid) {
  if (pid <= 0) return std::nullopt;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%lld/stat", static_cast<long long>(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
  char* p = std::strrchr(buf, ')');
  if (p == nullptr || p[1] != ' ') return std::nullopt;
  ProcStat st;
  st.pid = pid;
  st.state = p[2];
  p += 3;
  // Fields 4.. are numbers separated by single spaces: ppid (4), pgrp (5), starttime (22).
  for (int field = 4; field <= 22; ++field) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(p, &end, 10);
    if (end == p) return std::nullopt;
    if (field == 4) st.ppid = static_cast<std::int64_t>(v);
    if (field == 5) st.pgrp = static_cast<std::int64_t>(v);
    if (field == 22) st.start_time = v;
    p = end;
  }
  return st;
}

std::optional<std::uint64_t> process_start_time(std::int64_t pid) {
  auto st = read_proc_stat(pid);
  if (!st) return std::nullopt;
  return st->start_time;
}

bool is_alive(const ProcessIdentity& id) {
  auto t = process_start_time(id.pid);
  return t && *t == id.start_time;
}

}  // namespace bb
