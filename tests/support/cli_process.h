// Runs the real `backburner` binary for the CLI's end-to-end tests: with a given environment,
// stdin from the null device, and stdout/stderr captured through pipes (or, on POSIX, both on one
// pseudo-terminal, to see what a person at a terminal sees). Every wait is bounded; a child still
// running at its deadline is killed and reported as timed out. Platform parts:
// cli_process_posix.cpp (posix_spawn, a pty) and cli_process_win.cpp (CreateProcess, pipes).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon_fixture.h"
#include "paths.h"

namespace bb::test {

struct CliResult {
  int status = -1;  // exit status; 128+N if killed by signal N; -1 if it timed out
  std::string out;  // stdout (with a terminal: everything written to it)
  std::string err;  // stderr (empty with a terminal)
  bool timed_out = false;
};

struct CliOptions {
  // stdout and stderr on a pseudo-terminal (100 columns). POSIX only: Windows has no
  // pseudo-terminal a test can read (terminal_supported() says so).
  bool terminal = false;
  std::filesystem::path cwd;  // empty: the test's own
};

// False where CliOptions::terminal cannot be had (Windows).
bool terminal_supported();

// A service system that is not this machine's ("windows" on POSIX, "linux" on Windows): a plan
// for it can only be a dry run.
const char* foreign_service_os();

class CliProcess {
 public:
  CliProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
             CliOptions options = {});
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;
  ~CliProcess();

  // Reads until stdout contains `needle` (true) or the deadline passes (false).
  bool read_until(const std::string& needle, std::chrono::milliseconds deadline);
  // Reads all output until the process exits (killing it at the deadline) and returns it.
  CliResult finish(std::chrono::milliseconds deadline = std::chrono::seconds(30));
  const CliResult& so_far() const;
  std::int64_t pid() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Runs `backburner args...` to completion (bounded).
inline CliResult run_cli(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env,
                         std::chrono::milliseconds deadline = std::chrono::seconds(30),
                         CliOptions options = {}) {
  CliProcess p(args, env, std::move(options));
  return p.finish(deadline);
}

// A command line for the purpose-built test child (tests/child).
std::string test_child_command(const std::string& args);

// Writes a stand-in for a program the CLI runs (a browser, say) into `dir` and returns its path:
// `name` plus what the platform runs as a script (nothing on POSIX, ".cmd" on Windows). Run with
// one argument, it writes that argument and a newline to `record`.
std::filesystem::path write_recording_program(const std::filesystem::path& dir,
                                              const std::string& name,
                                              const std::filesystem::path& record);

// What a CLI result looked like, for assertion messages.
inline std::string describe(const CliResult& r) {
  return "status " + std::to_string(r.status) + (r.timed_out ? " (timed out)" : "") +
         "\n--- stdout ---\n" + r.out + "\n--- stderr ---\n" + r.err;
}

}  // namespace bb::test
