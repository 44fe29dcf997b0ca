// Starting, stopping and inspecting the programs a test runs (the daemon, the CLI, the test
// child), the same way on every platform. Platform parts: test_process_posix.cpp (posix_spawn,
// signals, /proc) and test_process_win.cpp (CreateProcess, Job Objects).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bb::test {

struct ProcessOptions {
  std::filesystem::path exe;
  std::vector<std::string> args;              // after argv[0]
  std::map<std::string, std::string> env;     // the whole environment
  std::filesystem::path stderr_file;          // empty: the null device
  bool truncate_stderr = false;               // else appended
  std::filesystem::path cwd;                  // empty: the test's own
  // Every process started with a tag, and all it starts, is found by kill_tagged_processes.
  std::string tag;
};

class TestProcess {
 public:
  // Throws std::runtime_error if the program cannot be started. stdin and stdout are the null
  // device.
  static std::unique_ptr<TestProcess> start(const ProcessOptions& options);
  virtual ~TestProcess() = default;

  virtual std::int64_t pid() const = 0;
  // The exit status once it has exited (128+N if POSIX signal N ended it), else nullopt.
  virtual std::optional<int> try_wait() = 0;
  // Waits up to `deadline`; a process still running then is killed and -2 returned.
  virtual int wait(std::chrono::milliseconds deadline) = 0;
  // Asks it to stop as a service manager would (POSIX: SIGTERM). False where the platform has no
  // such request (Windows): the caller uses the program's own way to stop it.
  virtual bool request_stop() = 0;
  // Ends it at once (SIGKILL, TerminateProcess) and reaps it.
  virtual void kill() = 0;
};

// For the rare test whose expectation differs by platform (and says why).
bool running_on_windows();

// True if a process with this pid exists (and is not a zombie).
bool process_exists(std::int64_t pid);

// Kills every process started with this tag, and everything they started, whoever their parent
// is by then. Returns how many it found.
int kill_tagged_processes(const std::string& tag);

// A fresh private directory for a test (POSIX mkdtemp under $TMPDIR; Windows under %TEMP%).
std::filesystem::path make_temp_dir();

// Blocks the calling thread.
void sleep_ms(int ms);

// An anonymous pipe as C runtime descriptors (read end, write end), binary on every platform;
// read/write/close them with ::read, ::write and ::close. False if it cannot be made.
bool make_pipe(int fds[2]);
// Makes a write to a pipe without a reader an error value instead of a fatal signal (POSIX
// SIGPIPE; Windows has no such signal: nothing to do).
void ignore_broken_pipe_signal();

}  // namespace bb::test
