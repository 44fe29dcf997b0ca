// A task's stdin that the daemon can write to: a FIFO in the task dir (`stdin`, 0600) that the
// keeper holds open for writing, so the task never sees end-of-input merely because no one is
// writing at the moment, and that outlives any daemon. The daemon opens it non-blocking for
// each write; end of input is the keeper closing its hold (on SIGUSR2) and removing the FIFO,
// after which the task reads to the end of what was written and then gets EOF.
#pragma once

#include <filesystem>
#include <string>
#include <variant>

namespace bb::keeper {

class StdinPipe {
 public:
  static std::variant<StdinPipe, std::string> create(const std::filesystem::path& task_dir);
  StdinPipe(StdinPipe&& o) noexcept;
  StdinPipe& operator=(StdinPipe&&) = delete;
  ~StdinPipe();

  // The read end for the shell's fd 0 (close-on-exec here; the spawn dup2s it).
  int reader() const { return reader_; }
  // Closes the keeper's copy of the read end once the shell has its own.
  void release_reader();
  // End of input: removes the FIFO (so no new writer can open it) and lets go of the hold.
  void close_input();
  bool open() const { return holder_ >= 0; }

 private:
  StdinPipe(std::filesystem::path fifo, int holder, int reader)
      : fifo_(std::move(fifo)), holder_(holder), reader_(reader) {}
  std::filesystem::path fifo_;
  int holder_ = -1;
  int reader_ = -1;
};

}  // namespace bb::keeper
