// One kernel timer watched by an Asio loop, for QuietTimer's queue (quiet_timer.cpp). Platform
// part: kernel_timer_<platform>.cpp (Linux: a CLOCK_MONOTONIC timerfd in the reactor; Windows: a
// waitable timer waited on by an object_handle). A disarmed kernel timer wakes nothing.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace bb {

class KernelTimer {
 public:
  // `on_fire` runs on the loop each time the timer goes off (possibly late, possibly after it
  // was re-armed for later: the caller checks the clock).
  KernelTimer(boost::asio::io_context& io, std::function<void()> on_fire);
  ~KernelTimer();
  KernelTimer(const KernelTimer&) = delete;
  KernelTimer& operator=(const KernelTimer&) = delete;

  // Sets it to go off at `when` (at once if that has passed), replacing any earlier setting.
  void arm(std::chrono::steady_clock::time_point when);
  void disarm();
  // Stops watching for good (the loop is shutting down); on_fire is not called again.
  void close();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace bb
