// KernelTimer on Windows: a synchronization waitable timer, waited on by Asio's object_handle
// (the thread pool's registered wait, not a poll). A cancelled waitable timer is never signalled.
#include "kernel_timer.h"

#include <windows.h>

#include <system_error>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/windows/object_handle.hpp>

namespace bb {

namespace asio = boost::asio;

struct KernelTimer::Impl : std::enable_shared_from_this<KernelTimer::Impl> {
  Impl(asio::io_context& io, HANDLE h, std::function<void()> f)
      : timer(io, h), on_fire(std::move(f)) {}
  asio::windows::object_handle timer;
  std::function<void()> on_fire;
  bool watching = false;

  void watch() {
    if (watching || !timer.is_open()) return;
    watching = true;
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      self->watching = false;
      if (ec || !self->timer.is_open()) return;  // closed
      self->watch();
      self->on_fire();
    });
  }
};

KernelTimer::KernelTimer(asio::io_context& io, std::function<void()> on_fire) {
  // A synchronization timer: a satisfied wait resets it, so it goes off once per setting.
  HANDLE h = ::CreateWaitableTimerW(nullptr, FALSE, nullptr);
  if (h == nullptr)
    throw std::system_error(static_cast<int>(::GetLastError()), std::system_category(),
                            "CreateWaitableTimerW");
  impl_ = std::make_shared<Impl>(io, h, std::move(on_fire));
}

KernelTimer::~KernelTimer() { close(); }

void KernelTimer::arm(std::chrono::steady_clock::time_point when) {
  const auto hundreds = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            when - std::chrono::steady_clock::now())
                            .count() /
                        100;
  LARGE_INTEGER due;
  due.QuadPart = -(hundreds > 0 ? hundreds : 1);  // negative: relative, in 100 ns units
  ::SetWaitableTimer(impl_->timer.native_handle(), &due, 0, nullptr, nullptr, FALSE);
  impl_->watch();
}

void KernelTimer::disarm() { ::CancelWaitableTimer(impl_->timer.native_handle()); }

void KernelTimer::close() {
  boost::system::error_code ignored;
  impl_->timer.close(ignored);
  impl_->on_fire = nullptr;
}

}  // namespace bb
