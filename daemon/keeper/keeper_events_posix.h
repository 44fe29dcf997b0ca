// Everything that can wake the keeper, as one fd set to block on: a signalfd for the signals it
// handles, a timerfd for the task's deadline, and (with a log cap) an inotify watch on the log.
// The keeper never polls on a timer of its own: the only other timer is the log watch's
// cool-down, armed only while the task writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace bb::keeper {

// What happened since the last wait. Several may be set at once.
struct Events {
  bool child = false;     // SIGCHLD: some child may be ready to be reaped
  bool cancel = false;    // SIGUSR1: the daemon asks to cancel the task
  int stop_signal = 0;    // SIGTERM, SIGINT or SIGHUP aimed at the keeper (first one seen)
  bool deadline = false;  // the deadline's wall-clock time was reached
  bool stdin_close = false;  // SIGUSR2: the daemon asks to close the task's stdin
  bool output_written = false;  // the watched log was written to (at most once per cool-down)
  std::string watch_error;      // the watch could not start (the log then goes unwatched)
};

class EventSource {
 public:
  // Blocks SIGCHLD, SIGUSR1, SIGTERM, SIGINT and SIGHUP for the whole process (so they queue
  // for wait() instead of killing the keeper) and arms the deadline, if any, as an absolute
  // CLOCK_REALTIME time: it fires at that wall-clock time even if the clock is set meanwhile.
  // A deadline in the past fires at once.
  static std::variant<EventSource, std::string> open(std::optional<std::int64_t> deadline_ms);

  EventSource(EventSource&& other) noexcept;
  EventSource& operator=(EventSource&&) = delete;
  ~EventSource();

  // Reports writes to `file` as output_written, at most once per `cool_down_ms`: a task that
  // writes without pause wakes the keeper a few times a second, an idle one never. The watch
  // starts `start_after_ms` from now (reported then as one output_written): closing an inotify
  // instance that has a watch costs some 10 ms, which a task that ends sooner never pays. Empty
  // on success, else why the file cannot be watched (the keeper then goes without).
  std::string watch_writes(const std::string& file, int cool_down_ms, int start_after_ms);

  // Ends the watch, so that the process exits without waiting for the kernel to retire it.
  void stop_watching();

  // Blocks until something happens or timeout_ms passes (-1: no timeout; 0: just look).
  Events wait(int timeout_ms);

 private:
  EventSource(int signal_fd, int timer_fd) : signal_fd_(signal_fd), timer_fd_(timer_fd) {}
  int signal_fd_ = -1;
  int timer_fd_ = -1;   // -1 without a deadline
  int inotify_fd_ = -1;  // -1 without a watched file
  std::string start_watch();

  std::string watched_;  // the file to watch, once the start delay ends
  int watch_ = -1;       // the inotify watch descriptor
  int cool_fd_ = -1;     // the cool-down timer of the watch (first: its start delay)
  bool cooling_ = false;  // a write was reported less than a cool-down ago
  int cool_down_ms_ = 0;
};

}  // namespace bb::keeper
