// KernelTimer on Windows: a synchronization waitable timer, waited on by Asio's object_handle
// (the thread pool's registered wait, not a poll) only while it is armed, so that a disarmed
// timer is not outstanding work. A cancelled waitable timer is never signalled.
#include "kernel_timer.h"

#include <windows.h>

#include <system_error>
#include <utility>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/windows/object_handle.hpp>

namespace bb {

namespace asio = boost::asio;

struct KernelTimer::Impl : std::enable_shared_from_this<KernelTimer::Impl> {
  Impl(asio::io_context& io, std::function<void()> f) : timer(io), on_fire(std::move(f)) {}
  asio::windows::object_handle timer;
  std::function<void()> on_fire;
  bool armed = false;     // set and not yet seen to expire
  bool watching = false;  // a wait is registered

  void watch() {
    if (watching || !armed || !timer.is_open()) return;
    watching = true;
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      self->watching = false;
      if (!self->timer.is_open()) return;  // closed
      // Aborted: disarmed (and maybe armed again since). No other error comes from an open
      // timer; the wait would only fail again.
      if (ec == asio::error::operation_aborted) return self->watch();
      if (ec) return;
      // The satisfied wait reset the timer. A signal left over from an earlier setting would
      // also land here: fire() checks the clock and sets the timer again.
      self->armed = false;
      if (self->on_fire) self->on_fire();
    });
  }
};

KernelTimer::KernelTimer(asio::io_context& io, std::function<void()> on_fire)
    : impl_(std::make_shared<Impl>(io, std::move(on_fire))) {
  // A synchronization timer: a satisfied wait resets it, so it goes off once per setting.
  HANDLE h = ::CreateWaitableTimerW(nullptr, FALSE, nullptr);
  if (h == nullptr)
    throw std::system_error(static_cast<int>(::GetLastError()), std::system_category(),
                            "CreateWaitableTimerW");
  boost::system::error_code ec;
  impl_->timer.assign(h, ec);
  if (ec) {
    ::CloseHandle(h);
    throw std::system_error(ec.value(), std::system_category(), "object_handle");
  }
}

KernelTimer::~KernelTimer() { close(); }

void KernelTimer::arm(std::chrono::steady_clock::time_point when) {
  const auto now = std::chrono::steady_clock::now();
  const std::int64_t ns =
      when <= now ? 0 : std::chrono::duration_cast<std::chrono::nanoseconds>(when - now).count();
  LARGE_INTEGER due;
  // Negative: relative, in 100 ns units, rounded up so that it never goes off early.
  due.QuadPart = -((ns + 99) / 100 > 0 ? (ns + 99) / 100 : 1);
  ::SetWaitableTimer(impl_->timer.native_handle(), &due, 0, nullptr, nullptr, FALSE);
  impl_->armed = true;
  impl_->watch();
}

void KernelTimer::disarm() {
  if (!impl_->armed) return;
  ::CancelWaitableTimer(impl_->timer.native_handle());
  // A signal it gave before the cancel would stay: consume it.
  ::WaitForSingleObject(impl_->timer.native_handle(), 0);
  impl_->armed = false;
  boost::system::error_code ignored;
  impl_->timer.cancel(ignored);
}

void KernelTimer::close() {
  boost::system::error_code ignored;
  impl_->timer.close(ignored);
  impl_->armed = false;
  impl_->on_fire = nullptr;
}

}  // namespace bb
