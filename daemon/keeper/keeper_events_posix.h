// Everything that can wake the keeper, as one fd set to block on: a signalfd for the signals it
// handles and a timerfd for the task's deadline. The keeper never polls on a timer of its own.
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

  // Blocks until something happens or timeout_ms passes (-1: no timeout; 0: just look).
  Events wait(int timeout_ms);

 private:
  EventSource(int signal_fd, int timer_fd) : signal_fd_(signal_fd), timer_fd_(timer_fd) {}
  int signal_fd_ = -1;
  int timer_fd_ = -1;  // -1 without a deadline
};

}  // namespace bb::keeper
