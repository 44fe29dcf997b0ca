// KernelTimer on Linux: a CLOCK_MONOTONIC timerfd (the clock of std::chrono::steady_clock),
// watched for readability by the loop's epoll reactor only while it is armed: a disarmed timer
// is neither readable nor outstanding work, so io_context::run() can still run out of work.
#include "kernel_timer.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>
#include <utility>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace bb {

namespace asio = boost::asio;

struct KernelTimer::Impl : std::enable_shared_from_this<KernelTimer::Impl> {
  Impl(asio::io_context& io, std::function<void()> f) : timer(io), on_fire(std::move(f)) {}
  asio::posix::stream_descriptor timer;
  std::function<void()> on_fire;
  bool armed = false;     // set and not yet seen to expire
  bool watching = false;  // a wait for readability is outstanding in the reactor

  void set(std::int64_t ns) {
    itimerspec spec{};
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    // Setting a timerfd also drops expirations not yet read: a stale one cannot fire. It fails
    // only for a bad descriptor or value, neither of which this code makes.
    ::timerfd_settime(timer.native_handle(), 0, &spec, nullptr);
  }

  void watch() {
    if (watching || !armed || !timer.is_open()) return;
    watching = true;
    timer.async_wait(asio::posix::descriptor_base::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->ready(ec);
                     });
  }

  void ready(const boost::system::error_code& ec) {
    watching = false;
    if (!timer.is_open()) return;  // closed
    // Aborted: disarmed (and maybe armed again since). No other error comes from an open
    // timer; the wait would only fail again.
    if (ec == asio::error::operation_aborted) return watch();
    if (ec) return;
    std::uint64_t expirations = 0;
    if (::read(timer.native_handle(), &expirations, sizeof expirations) !=
        static_cast<ssize_t>(sizeof expirations))
      return watch();  // re-armed after it went off: not yet
    armed = false;
    if (on_fire) on_fire();
  }
};

KernelTimer::KernelTimer(asio::io_context& io, std::function<void()> on_fire)
    : impl_(std::make_shared<Impl>(io, std::move(on_fire))) {
  const int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "timerfd_create");
  boost::system::error_code ec;
  impl_->timer.assign(fd, ec);
  if (ec) {
    ::close(fd);
    throw std::system_error(ec.value(), std::generic_category(), "epoll_ctl (timerfd)");
  }
}

KernelTimer::~KernelTimer() { close(); }

void KernelTimer::arm(std::chrono::steady_clock::time_point when) {
  const auto now = std::chrono::steady_clock::now();
  const std::int64_t ns =
      when <= now ? 0 : std::chrono::duration_cast<std::chrono::nanoseconds>(when - now).count();
  impl_->set(ns > 0 ? ns : 1);  // 0 would disarm: "now" is the smallest positive value
  impl_->armed = true;
  impl_->watch();
}

void KernelTimer::disarm() {
  if (!impl_->armed) return;
  impl_->set(0);
  impl_->armed = false;
  boost::system::error_code ignored;
  impl_->timer.cancel(ignored);  // the watch ends: nothing is outstanding while disarmed
}

void KernelTimer::close() {
  boost::system::error_code ignored;
  impl_->timer.close(ignored);  // the outstanding watch completes, aborted
  impl_->armed = false;
  impl_->on_fire = nullptr;
}

}  // namespace bb
