// bb-testchild on Windows: the modes of main_posix.cpp that make sense without signals, fork
// and /proc, and a few of Windows' own.
//
//   exit N                        exit with status N
//   sleep SECONDS                 sleep (fractions allowed), then exit 0
//   print N [TEXT [SECONDS]]      print N lines "TEXT 1" .. "TEXT N" (TEXT defaults to "line"),
//                                 pausing SECONDS after each
//   seq FIRST LAST                print the numbers FIRST .. LAST, one a line
//   hex HEX                       write the bytes HEX spells (two hex digits a byte)
//   stderr TEXT                   print TEXT and a newline to stderr
//   bytes N                       write N bytes (a-z, a newline every 64) to stdout, fast
//   ignore-term SECONDS           ignore Ctrl+C and Ctrl+Break, print "ready", then sleep
//   grandchild PIDFILE SECONDS    start a child that sleeps; write PIDFILE; sleep too
//   escape PIDFILE SECONDS [exit|stay]
//                                 start a detached grandchild that tries to leave every job
//                                 (CREATE_BREAKAWAY_FROM_JOB, falling back to a plain start
//                                 where the job forbids it), write PIDFILE with its identity;
//                                 then exit (default) or sleep too (stay)
//   stdin                         print what stdin is (nul, pipe, file, console), then "eof" if
//                                 a read returns nothing, else "data"
//   read-stdin                    copy stdin to stdout until end of input, then print "eof"
//   env NAME                      print %NAME%, or "<unset>" and exit 1
//   crash                         end with an access violation (exit code 0xC0000005)
//   utf8                          print valid multi-byte UTF-8 text
//   invalid-utf8                  print invalid UTF-8 byte sequences
//   args ARG...                   print each argument (as UTF-8) on a line of its own
//   wait-for PATH SECONDS         wait until PATH exists (exit 0) or SECONDS pass (exit 1)
//
// PIDFILE lists one process per line as "PID STARTTIME" (the creation time, as
// process_identity.h records it): for grandchild, the sleeping child then this process; for
// escape, the escapee. It appears atomically (temp file + rename). Exit status 2: bad usage.
#include <windows.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "file_io.h"
#include "os.h"
#include "process_identity.h"
#include "process_launch_win.h"
#include "utf8_path.h"
#include "win_text_win.h"

namespace {

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "bb-testchild: %s\n", why);
  std::exit(2);
}

long to_long(const std::string& s) {
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (end == s.c_str() || *end != '\0') usage("expected an integer");
  return v;
}

double to_seconds(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || v < 0) usage("expected a number of seconds");
  return v;
}

void write_all(HANDLE h, std::string_view data) {
  while (!data.empty()) {
    DWORD n = 0;
    if (!::WriteFile(h, data.data(), static_cast<DWORD>(data.size()), &n, nullptr) || n == 0)
      std::exit(3);
    data.remove_prefix(n);
  }
}

void say(std::string_view text) { write_all(::GetStdHandle(STD_OUTPUT_HANDLE), text); }

void sleep_for(double seconds) { ::Sleep(static_cast<DWORD>(seconds * 1000)); }

std::string identity_line(DWORD pid) {
  return std::to_string(pid) + " " +
         std::to_string(bb::process_start_time(pid).value_or(0)) + "\n";
}

void write_pidfile(const std::string& path, const std::string& text) {
  if (bb::fileio::replace_file(bb::utf8_path(path), text)) std::exit(4);
}

// Starts this program again with `args`; the process (and its thread) stay ours.
bb::win::Launched start_self(const std::vector<std::string>& args, DWORD flags, bool breakaway) {
  std::vector<std::string> argv = {bb::os::current_executable().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  bb::win::LaunchSpec spec;
  spec.program = bb::os::current_executable();
  spec.command_line = bb::win::command_line(argv);
  spec.creation_flags = flags;
  spec.breakaway = breakaway;
  auto launched = bb::win::launch(spec);
  if (auto* err = std::get_if<std::string>(&launched)) {
    std::fprintf(stderr, "bb-testchild: %s\n", err->c_str());
    std::exit(5);
  }
  return std::move(std::get<bb::win::Launched>(launched));
}

int grandchild(const std::string& pidfile, double seconds) {
  auto child = start_self({"sleep", std::to_string(seconds)}, 0, false);
  write_pidfile(pidfile, identity_line(child.pid) + identity_line(::GetCurrentProcessId()));
  sleep_for(seconds);
  return 0;
}

int escape(const std::string& pidfile, double seconds, bool stay) {
  // The escapee writes the pidfile itself once it runs (so it exists when the file does).
  auto child = start_self({"escapee", pidfile, std::to_string(seconds)},
                          DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP, true);
  for (int i = 0; i < 1000; ++i) {
    if (::GetFileAttributesW(bb::utf8_path(pidfile).c_str()) != INVALID_FILE_ATTRIBUTES) break;
    ::Sleep(10);
  }
  if (stay) sleep_for(seconds);
  return 0;
}

int escapee(const std::string& pidfile, double seconds) {
  write_pidfile(pidfile, identity_line(::GetCurrentProcessId()));
  sleep_for(seconds);
  return 0;
}

int describe_stdin() {
  const HANDLE in = ::GetStdHandle(STD_INPUT_HANDLE);
  const DWORD type = in == nullptr || in == INVALID_HANDLE_VALUE ? FILE_TYPE_UNKNOWN
                                                                 : ::GetFileType(in);
  const char* what = "closed";
  DWORD mode = 0;
  if (type == FILE_TYPE_PIPE) what = "pipe";
  if (type == FILE_TYPE_DISK) what = "file";
  if (type == FILE_TYPE_CHAR) what = ::GetConsoleMode(in, &mode) ? "console" : "nul";
  say(std::string(what) + "\n");
  char byte;
  DWORD n = 0;
  const BOOL ok = ::ReadFile(in, &byte, 1, &n, nullptr);
  if ((ok && n == 0) || (!ok && ::GetLastError() == ERROR_BROKEN_PIPE))
    say("eof\n");
  else if (ok)
    say("data\n");
  else
    say("error: " + bb::win::last_error_text() + "\n");
  return 0;
}

int copy_stdin() {
  const HANDLE in = ::GetStdHandle(STD_INPUT_HANDLE);
  char buf[4096];
  for (;;) {
    DWORD n = 0;
    if (!::ReadFile(in, buf, sizeof buf, &n, nullptr) || n == 0) break;
    say(std::string_view(buf, n));
  }
  say("eof\n");
  return 0;
}

BOOL WINAPI ignore_ctrl(DWORD) { return TRUE; }

int write_bytes(long count) {
  std::string block(std::size_t{64} * 1024, '\0');
  for (std::size_t i = 0; i < block.size(); ++i)
    block[i] = i % 64 == 63 ? '\n' : static_cast<char>('a' + i % 26);
  for (long left = count; left > 0;) {
    std::size_t n = std::min<std::size_t>(block.size(), static_cast<std::size_t>(left));
    say(std::string_view(block.data(), n));
    left -= static_cast<long>(n);
  }
  return 0;
}

int write_hex(const std::string& hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    usage("hex: expected hex digits");
  };
  if (hex.size() % 2 != 0) usage("hex: expected two digits a byte");
  std::string bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2)
    bytes += static_cast<char>(digit(hex[i]) * 16 + digit(hex[i + 1]));
  say(bytes);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a = bb::os::arguments(argc, argv);
  if (a.empty()) usage("missing mode");
  const std::string& mode = a[0];
  auto need = [&](std::size_t n) {
    if (a.size() < 1 + n) usage("missing argument");
  };
  if (mode == "exit") {
    need(1);
    return static_cast<int>(to_long(a[1]));
  }
  if (mode == "sleep") {
    need(1);
    sleep_for(to_seconds(a[1]));
    return 0;
  }
  if (mode == "print") {
    need(1);
    const std::string text = a.size() > 2 ? a[2] : "line";
    const double pause = a.size() > 3 ? to_seconds(a[3]) : 0;
    for (long i = 1, n = to_long(a[1]); i <= n; ++i) {
      say(text + " " + std::to_string(i) + "\n");
      if (pause > 0) sleep_for(pause);
    }
    return 0;
  }
  if (mode == "seq") {
    need(2);
    std::string out;
    for (long i = to_long(a[1]), last = to_long(a[2]); i <= last; ++i) {
      out += std::to_string(i) + "\n";
      if (out.size() >= 65536) say(std::exchange(out, {}));
    }
    say(out);
    return 0;
  }
  if (mode == "hex") {
    need(1);
    return write_hex(a[1]);
  }
  if (mode == "stderr") {
    need(1);
    write_all(::GetStdHandle(STD_ERROR_HANDLE), a[1] + "\n");
    return 0;
  }
  if (mode == "bytes") {
    need(1);
    return write_bytes(to_long(a[1]));
  }
  if (mode == "ignore-term") {
    need(1);
    ::SetConsoleCtrlHandler(ignore_ctrl, TRUE);
    say("ready\n");
    sleep_for(to_seconds(a[1]));
    return 0;
  }
  if (mode == "grandchild") {
    need(2);
    return grandchild(a[1], to_seconds(a[2]));
  }
  if (mode == "escape") {
    need(2);
    const std::string after = a.size() > 3 ? a[3] : "exit";
    if (after != "exit" && after != "stay") usage("escape: expected exit or stay");
    return escape(a[1], to_seconds(a[2]), after == "stay");
  }
  if (mode == "escapee") {
    need(2);
    return escapee(a[1], to_seconds(a[2]));
  }
  if (mode == "stdin") return describe_stdin();
  if (mode == "read-stdin") return copy_stdin();
  if (mode == "env") {
    need(1);
    const auto value = bb::os::environment_variable(a[1]);
    say(value ? *value + "\n" : std::string("<unset>\n"));
    return value ? 0 : 1;
  }
  if (mode == "crash") {
    ::SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
    volatile int* nowhere = nullptr;
    *nowhere = 1;
    return 1;
  }
  if (mode == "utf8") {
    say("h\xc3\xa9llo w\xc3\xb6rld \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e "
        "\xf0\x9f\x8e\x89\n");
    return 0;
  }
  if (mode == "invalid-utf8") {
    say("bad \x80 | \xff\xfe | \xc3\x28 | \xed\xa0\x80 | \xc0\xaf | \xe2\x82\n");
    return 0;
  }
  if (mode == "wait-for") {
    need(2);
    const auto path = bb::utf8_path(a[1]);
    for (double waited = 0; waited < to_seconds(a[2]); waited += 0.01) {
      if (::GetFileAttributesW(path.c_str()) != INVALID_FILE_ATTRIBUTES) return 0;
      ::Sleep(10);
    }
    return 1;
  }
  if (mode == "args") {
    for (std::size_t i = 1; i < a.size(); ++i) say(a[i] + "\n");
    return 0;
  }
  usage("unknown mode");
}
