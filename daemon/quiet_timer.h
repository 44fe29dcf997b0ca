// A one-shot timer on the daemon's Asio loop that costs an idle daemon nothing once it has been
// cancelled or has fired. The timers of one io_context share one kernel timer (kernel_timer.h:
// Linux a timerfd, Windows a waitable timer), set for the earliest pending wait and disarmed
// when no wait is pending.
//
// Why not asio::steady_timer: Asio's timers share one reactor timer per io_context, and Boost
// 1.81's reactor neither disarms it when a timer is cancelled (a cancelled 10 s bound still wakes
// the daemon 10 s later) nor leaves it disarmed once it has fired (with no timer pending it is
// set again for five minutes, for ever: epoll_reactor::get_timeout). The daemon promises an idle
// loop with no wake-ups at all, so it uses no Asio timer.
//
// The interface is the part of steady_timer the daemon uses, with its semantics: setting the
// expiry or cancelling completes every pending wait with operation_aborted; a wait that has
// expired completes with success. Handlers run on the loop, never inside the call that started
// or cancelled them. Single-threaded, like the rest of the loop.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/system/error_code.hpp>

namespace boost::asio {
class io_context;
}

namespace bb {

class QuietTimer {
 public:
  using Handler = std::function<void(const boost::system::error_code&)>;

  explicit QuietTimer(boost::asio::io_context& io);
  // Armed to expire `after` from now.
  QuietTimer(boost::asio::io_context& io, std::chrono::steady_clock::duration after);
  // Disarms the timer; pending waits complete with operation_aborted.
  ~QuietTimer();
  QuietTimer(const QuietTimer&) = delete;
  QuietTimer& operator=(const QuietTimer&) = delete;

  // Arms the timer to expire `after` from now (now, if it is not positive; never, if it is
  // beyond the clock's range). Pending waits complete with operation_aborted.
  void expires_after(std::chrono::steady_clock::duration after);
  // Calls `handler` once: with success when the timer expires, with operation_aborted if it is
  // cancelled, re-armed or destroyed first. REQUIRES: expires_after was called.
  void async_wait(Handler handler);
  // Pending waits complete with operation_aborted, and the kernel timer is left disarmed if no
  // other wait needs it. The expiry stays: a later wait waits for it, as with Asio's timers.
  void cancel();

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// Makes the loop's kernel timer now (the first QuietTimer would otherwise), so that a failure
// (out of descriptors) is reported where the caller can say so: an error text, or "".
std::string prepare_quiet_timers(boost::asio::io_context& io);

}  // namespace bb
