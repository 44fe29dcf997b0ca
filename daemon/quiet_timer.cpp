// QuietTimer's queue: one per io_context (an Asio service), holding the timers that have a wait
// pending, ordered by expiry, with the kernel timer set for the earliest and disarmed when there
// is none.
#include "quiet_timer.h"

#include <map>
#include <set>
#include <utility>
#include <vector>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "kernel_timer.h"

namespace bb {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

class QuietTimerQueue;

}  // namespace

struct QuietTimer::State {
  QuietTimerQueue* queue = nullptr;
  Clock::time_point expiry = Clock::time_point::max();  // max: not armed
  std::vector<Handler> waiting;
  // Where this timer sits in the queue while it is armed and has waits; end() otherwise.
  std::multimap<Clock::time_point, State*>::iterator slot;
  bool queued = false;
};

namespace {

class QuietTimerQueue final : public asio::io_context::service {
 public:
  static asio::io_context::id id;

  explicit QuietTimerQueue(asio::io_context& io)
      : asio::io_context::service(io), io_(io), kernel_(io, [this] { fire(); }) {}

  void enrol(QuietTimer::State& t) { all_.insert(&t); }
  void leave(QuietTimer::State& t) { all_.erase(&t); }

  void add(QuietTimer::State& t) {
    if (shut_down_) {
      t.waiting.clear();  // the loop is gone: nothing would ever run them
      return;
    }
    if (t.queued || t.expiry == Clock::time_point::max() || t.waiting.empty()) return;
    t.slot = due_.emplace(t.expiry, &t);
    t.queued = true;
    if (t.slot == due_.begin()) kernel_.arm(t.expiry);
  }

  void remove(QuietTimer::State& t) {
    if (!t.queued) return;
    const bool was_first = t.slot == due_.begin();
    due_.erase(t.slot);
    t.queued = false;
    if (was_first) rearm();
  }

  void complete(QuietTimer::State& t, const boost::system::error_code& ec) {
    for (auto& h : std::exchange(t.waiting, {}))
      asio::post(io_, [h = std::move(h), ec] { h(ec); });
  }

 private:
  void shutdown() override {
    // The loop is going away: handlers already posted are destroyed by it; nothing fires again.
    // The pending ones are destroyed too, without running, after every structure is left
    // consistent: destroying a handler may destroy its own timer (its owner's last reference).
    shut_down_ = true;
    kernel_.close();
    std::vector<QuietTimer::Handler> dropped;
    for (QuietTimer::State* t : all_) {
      t->queued = false;
      for (auto& h : t->waiting) dropped.push_back(std::move(h));
      t->waiting.clear();
    }
    due_.clear();
    dropped.clear();
  }

  void fire() {
    const auto now = Clock::now();
    while (!due_.empty() && due_.begin()->first <= now) {
      QuietTimer::State& t = *due_.begin()->second;
      due_.erase(due_.begin());
      t.queued = false;
      complete(t, {});
    }
    rearm();
  }

  void rearm() {
    if (due_.empty())
      kernel_.disarm();
    else
      kernel_.arm(due_.begin()->first);
  }

  asio::io_context& io_;
  KernelTimer kernel_;
  std::multimap<Clock::time_point, QuietTimer::State*> due_;  // armed timers with waits
  std::set<QuietTimer::State*> all_;                          // every timer of this loop
  bool shut_down_ = false;
};

asio::io_context::id QuietTimerQueue::id;

}  // namespace

QuietTimer::QuietTimer(asio::io_context& io) : state_(std::make_unique<State>()) {
  state_->queue = &asio::use_service<QuietTimerQueue>(io);
  state_->queue->enrol(*state_);
}

QuietTimer::QuietTimer(asio::io_context& io, Clock::duration after) : QuietTimer(io) {
  expires_after(after);
}

QuietTimer::~QuietTimer() {
  cancel();
  state_->queue->leave(*state_);
}

void QuietTimer::expires_after(Clock::duration after) {
  cancel();
  const auto now = Clock::now();
  // Saturates: a wait beyond the clock's range never expires (time_point::max() is "never");
  // one in the past expires now.
  if (after <= Clock::duration::zero())
    state_->expiry = now;
  else
    state_->expiry = after >= Clock::time_point::max() - now ? Clock::time_point::max() : now + after;
}

void QuietTimer::async_wait(Handler handler) {
  state_->waiting.push_back(std::move(handler));
  state_->queue->add(*state_);
}

void QuietTimer::cancel() {
  state_->queue->remove(*state_);
  state_->queue->complete(*state_, asio::error::operation_aborted);
}

std::string prepare_quiet_timers(asio::io_context& io) {
  try {
    asio::use_service<QuietTimerQueue>(io);
    return {};
  } catch (const std::exception& e) {
    return std::string("cannot create the daemon's timer: ") + e.what();
  }
}

}  // namespace bb
