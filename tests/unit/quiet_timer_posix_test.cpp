// On Linux a QuietTimer that has fired or been cancelled leaves no kernel timer armed: nothing
// is left to wake an idle daemon (Asio's own timers leave the reactor's timerfd armed).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "quiet_timer.h"

namespace bb {
namespace {

using namespace std::chrono_literals;
using boost::system::error_code;

// How many of this process's timerfds are armed (their fdinfo's it_value is not zero).
int armed_timerfds() {
  int armed = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(e.path(), ec);
    if (ec || target.string() != "anon_inode:[timerfd]") continue;
    std::ifstream info("/proc/self/fdinfo/" + e.path().filename().string());
    std::string line;
    while (std::getline(info, line))
      if (line.rfind("it_value:", 0) == 0 && line.find("(0, 0)") == std::string::npos) ++armed;
  }
  return armed;
}

TEST(QuietTimerPosix, APendingWaitArmsOneKernelTimerAndItsCancelDisarmsIt) {
  boost::asio::io_context io;
  ASSERT_EQ(armed_timerfds(), 0);
  QuietTimer t(io, 1h);
  std::optional<error_code> got;
  t.async_wait([&](const error_code& ec) { got = ec; });
  EXPECT_EQ(armed_timerfds(), 1);
  t.cancel();
  io.run_for(20ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(armed_timerfds(), 0);
}

TEST(QuietTimerPosix, AFiredTimerLeavesNoKernelTimerArmed) {
  boost::asio::io_context io;
  QuietTimer a(io, 10ms), b(io, 30ms);
  int fired = 0;
  a.async_wait([&](const error_code& ec) { fired += !ec; });
  b.async_wait([&](const error_code& ec) { fired += !ec; });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (fired < 2 && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(10ms);
  }
  ASSERT_EQ(fired, 2);
  EXPECT_EQ(armed_timerfds(), 0);
}

TEST(QuietTimerPosix, CancellingTheEarliestOfTwoLeavesTheKernelTimerSetForTheOther) {
  boost::asio::io_context io;
  QuietTimer soon(io, 1h), later(io, 2h);
  soon.async_wait([](const error_code&) {});
  later.async_wait([](const error_code&) {});
  soon.cancel();
  EXPECT_EQ(armed_timerfds(), 1);
  later.cancel();
  EXPECT_EQ(armed_timerfds(), 0);
  io.run_for(10ms);
}

}  // namespace
}  // namespace bb
