// KernelTimer on Linux: a CLOCK_MONOTONIC timerfd (the clock of std::chrono::steady_clock),
// watched for readability by the loop's epoll reactor. A disarmed timerfd is never readable.
#include "kernel_timer.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace bb {

namespace asio = boost::asio;

struct KernelTimer::Impl : std::enable_shared_from_this<KernelTimer::Impl> {
  Impl(asio::io_context& io, int fd, std::function<void()> f)
      : timer(io, fd), on_fire(std::move(f)) {}
  asio::posix::stream_descriptor timer;
  std::function<void()> on_fire;
  bool watching = false;

  void set(std::int64_t ns) {
    itimerspec spec{};
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    // Setting a timerfd also drops expirations not yet read: a stale one cannot fire.
    ::timerfd_settime(timer.native_handle(), 0, &spec, nullptr);
  }

  void watch() {
    if (watching || !timer.is_open()) return;
    watching = true;
    timer.async_wait(asio::posix::descriptor_base::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->watching = false;
                       if (ec || !self->timer.is_open()) return;  // closed
                       std::uint64_t expirations = 0;
                       const ssize_t n = ::read(self->timer.native_handle(), &expirations,
                                                sizeof expirations);
                       self->watch();
                       // Not readable after all: re-armed or disarmed since it went off.
                       if (n == static_cast<ssize_t>(sizeof expirations)) self->on_fire();
                     });
  }
};

KernelTimer::KernelTimer(asio::io_context& io, std::function<void()> on_fire) {
  // Made once per loop, at its first timer; a daemon out of descriptors fails at start instead.
  const int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "timerfd_create");
  impl_ = std::make_shared<Impl>(io, fd, std::move(on_fire));
}

KernelTimer::~KernelTimer() { close(); }

void KernelTimer::arm(std::chrono::steady_clock::time_point when) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      when - std::chrono::steady_clock::now())
                      .count();
  impl_->set(ns > 0 ? ns : 1);  // 0 would disarm: "now" is the smallest positive value
  impl_->watch();
}

void KernelTimer::disarm() { impl_->set(0); }

void KernelTimer::close() {
  boost::system::error_code ignored;
  impl_->timer.close(ignored);  // the outstanding watch completes, aborted
  impl_->on_fire = nullptr;
}

}  // namespace bb
