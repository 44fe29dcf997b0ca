// Windows only: a task's stdin that the daemon can write to, kept by the keeper so that it
// outlives any daemon (the Windows counterpart of stdin_pipe_posix.h).
//
// The task reads an ordinary pipe (`\\.\pipe\backburner-stdin-<keeper>-task`, its read end is
// the shell's stdin). The keeper owns the write end and relays into it what the daemon sends on
// a second pipe, the control pipe, whose name is in the task dir's `stdin` file while the input
// is open. On the control pipe, per connection (client and server run as the same user):
//   daemon: "<N>\n"                 keeper: "go\n", or "full <unread> <capacity>\n",
//                                           or "closed\n" (input closed or the task gone)
//   daemon: N bytes (after "go")    keeper: "ok <N>\n"
// The keeper holds at most kStdinCapacity bytes the task has not read yet: a write is taken
// whole or not at all, and neither side ever waits on the task. End of input: the keeper stops
// serving the control pipe, removes `stdin`, writes out what it holds, then closes the task's
// pipe: the task reads everything sent, then end of file.
#pragma once

#include <windows.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace bb::keeper {

inline constexpr std::size_t kStdinCapacity = 1024 * 1024;

class StdinRelay {
 public:
  // `unique` makes the pipes' names unique (the keeper's pid and start time).
  static std::variant<std::unique_ptr<StdinRelay>, std::string> create(
      const std::filesystem::path& task_dir, const std::wstring& unique);
  ~StdinRelay();

  // The read end for the shell's stdin (inheritable); released once the shell has it.
  HANDLE task_end() const;
  void release_task_end();

  // Events to wait on; service() after any of them is signaled does what is due.
  std::vector<HANDLE> events() const;
  void service();
  // End of input (see above). The relay is done once done() says so.
  void close_input();
  bool done() const;

  struct Impl;

 private:
  explicit StdinRelay(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bb::keeper
