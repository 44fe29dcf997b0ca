// bb-testchild: a small program with one behaviour per mode, so process tests can ask for
// exactly the child they need instead of depending on what a system's tools happen to do.
//
//   exit N                        exit with status N
//   sleep SECONDS                 sleep (fractions allowed), then exit 0
//   print N [TEXT]                print N lines "TEXT 1" .. "TEXT N" (TEXT defaults to "line")
//   stderr TEXT                   print TEXT and a newline to stderr
//   bytes N                       write N bytes (a-z, a newline every 64) to stdout, fast
//   ignore-term SECONDS           ignore SIGTERM, print "ready", then sleep
//   grandchild PIDFILE SECONDS    fork a child that sleeps; write PIDFILE; sleep too
//   setsid-escape PIDFILE SECONDS [exit|stay]
//                                 double-fork a grandchild into a new session (setsid) that
//                                 writes PIDFILE and sleeps; once it has, the parent exits
//                                 (default) or sleeps too (stay)
//   fds                           print the open fds, one per line, ascending
//   stdin                         print what fd 0 is (readlink), then "eof" if a read returns 0
//   env NAME                      print $NAME, or "<unset>" and exit 1
//   kill-self SIGNAME             die from that signal (disposition reset to default first)
//   utf8                          print valid multi-byte UTF-8 text
//   invalid-utf8                  print invalid UTF-8 byte sequences
//
// PIDFILE lists one process per line as "PID STARTTIME" (the kernel start time, so tests can
// tell a process from a later one with a recycled pid): for grandchild, the sleeping child then
// this process; for setsid-escape, the escapee. It appears atomically (temp file + rename).
// Exit status 2 means bad usage.
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process_identity.h"
#include "signal_names.h"

namespace {

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "bb-testchild: %s\n", why);
  std::exit(2);
}

long to_long(const char* s) {
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0') usage("expected an integer");
  return v;
}

double to_seconds(const char* s) {
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end == s || *end != '\0' || v < 0) usage("expected a number of seconds");
  return v;
}

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) std::exit(3);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void say(std::string_view text) { write_all(1, text.data(), text.size()); }

void sleep_for(double seconds) {
  timespec left{
      static_cast<time_t>(seconds),
      static_cast<long>((seconds - static_cast<double>(static_cast<time_t>(seconds))) * 1e9)};
  while (::nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}

std::string identity_line(pid_t pid) {
  return std::to_string(pid) + " " + std::to_string(bb::process_start_time(pid).value_or(0)) + "\n";
}

void write_pidfile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) std::exit(4);
  std::fputs(text.c_str(), f);
  if (std::fclose(f) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) std::exit(4);
}

int grandchild(const std::string& pidfile, double seconds) {
  pid_t child = ::fork();
  if (child < 0) return 5;
  if (child == 0) {
    sleep_for(seconds);
    std::_Exit(0);
  }
  // The child is ours and unreaped, so its start time is readable even if it already ended.
  write_pidfile(pidfile, identity_line(child) + identity_line(::getpid()));
  sleep_for(seconds);
  ::waitpid(child, nullptr, 0);
  return 0;
}

int setsid_escape(const std::string& pidfile, double seconds, bool stay) {
  int ready[2];
  if (::pipe(ready) != 0) return 5;
  pid_t middle = ::fork();
  if (middle < 0) return 5;
  if (middle == 0) {
    ::setsid();
    pid_t escapee = ::fork();
    if (escapee != 0) std::_Exit(escapee < 0 ? 5 : 0);
    // The escapee: in a new session, its parent gone, re-parented to the nearest subreaper.
    ::close(ready[0]);
    write_pidfile(pidfile, identity_line(::getpid()));
    write_all(ready[1], "x", 1);
    ::close(ready[1]);
    sleep_for(seconds);
    std::_Exit(0);
  }
  ::close(ready[1]);
  ::waitpid(middle, nullptr, 0);
  char byte;
  while (::read(ready[0], &byte, 1) < 0 && errno == EINTR) {
  }
  if (stay) sleep_for(seconds);
  return 0;
}

int list_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 5;
  std::vector<long> fds;
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    long fd = std::strtol(e->d_name, nullptr, 10);
    if (fd != ::dirfd(dir)) fds.push_back(fd);
  }
  ::closedir(dir);
  std::sort(fds.begin(), fds.end());
  for (long fd : fds) say(std::to_string(fd) + "\n");
  return 0;
}

int describe_stdin() {
  char target[4096];
  ssize_t n = ::readlink("/proc/self/fd/0", target, sizeof target - 1);
  say(n < 0 ? std::string("closed\n") : std::string(target, static_cast<std::size_t>(n)) + "\n");
  char byte;
  ssize_t r = ::read(0, &byte, 1);
  if (r == 0)
    say("eof\n");
  else if (r > 0)
    say("data\n");
  else
    say(std::string("error: ") + std::strerror(errno) + "\n");
  return 0;
}

int kill_self(const char* name) {
  auto sig = bb::signal_number(name);
  if (!sig) usage("unknown signal name");
  std::signal(*sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, *sig);
  ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(*sig);
  return 1;  // the signal did not kill us
}

int write_bytes(long count) {
  std::string block(std::size_t{64} * 1024, '\0');
  for (std::size_t i = 0; i < block.size(); ++i)
    block[i] = i % 64 == 63 ? '\n' : static_cast<char>('a' + i % 26);
  for (long left = count; left > 0;) {
    std::size_t n = std::min<std::size_t>(block.size(), static_cast<std::size_t>(left));
    write_all(1, block.data(), n);
    left -= static_cast<long>(n);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage("missing mode");
  const std::string_view mode = argv[1];
  auto need = [&](int n) {
    if (argc < 2 + n) usage("missing argument");
  };
  if (mode == "exit") {
    need(1);
    return static_cast<int>(to_long(argv[2]));
  }
  if (mode == "sleep") {
    need(1);
    sleep_for(to_seconds(argv[2]));
    return 0;
  }
  if (mode == "print") {
    need(1);
    const std::string text = argc > 3 ? argv[3] : "line";
    for (long i = 1, n = to_long(argv[2]); i <= n; ++i) say(text + " " + std::to_string(i) + "\n");
    return 0;
  }
  if (mode == "stderr") {
    need(1);
    const std::string line = std::string(argv[2]) + "\n";
    write_all(2, line.data(), line.size());
    return 0;
  }
  if (mode == "bytes") {
    need(1);
    return write_bytes(to_long(argv[2]));
  }
  if (mode == "ignore-term") {
    need(1);
    std::signal(SIGTERM, SIG_IGN);
    say("ready\n");
    sleep_for(to_seconds(argv[2]));
    return 0;
  }
  if (mode == "grandchild") {
    need(2);
    return grandchild(argv[2], to_seconds(argv[3]));
  }
  if (mode == "setsid-escape") {
    need(2);
    const std::string_view after = argc > 4 ? argv[4] : "exit";
    if (after != "exit" && after != "stay") usage("setsid-escape: expected exit or stay");
    return setsid_escape(argv[2], to_seconds(argv[3]), after == "stay");
  }
  if (mode == "fds") return list_fds();
  if (mode == "stdin") return describe_stdin();
  if (mode == "env") {
    need(1);
    const char* value = std::getenv(argv[2]);
    say(value ? std::string(value) + "\n" : std::string("<unset>\n"));
    return value ? 0 : 1;
  }
  if (mode == "kill-self") {
    need(1);
    return kill_self(argv[2]);
  }
  if (mode == "utf8") {
    say("h\xc3\xa9llo w\xc3\xb6rld \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e "
        "\xf0\x9f\x8e\x89\n");
    return 0;
  }
  if (mode == "invalid-utf8") {
    // A lone continuation byte, bytes never valid in UTF-8, a bad second byte, an encoded
    // surrogate, an overlong '/', and a sequence cut short by the end of the line.
    say("bad \x80 | \xff\xfe | \xc3\x28 | \xed\xa0\x80 | \xc0\xaf | \xe2\x82\n");
    return 0;
  }
  usage("unknown mode");
}
