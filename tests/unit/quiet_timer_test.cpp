// QuietTimer keeps steady_timer's semantics: expiry completes with success; a cancel, a re-arm or
// the timer's end completes a pending wait with operation_aborted; handlers never run inside the
// call that completed them.
#include "quiet_timer.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>

namespace bb {
namespace {

using namespace std::chrono_literals;
using boost::system::error_code;

// Runs the loop until `done` holds, at most 10 s.
template <typename Pred>
bool run_until(boost::asio::io_context& io, Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(10ms);
  }
  return done();
}

TEST(QuietTimer, AnExpiredWaitCompletesWithSuccessAfterItsExpiry) {
  boost::asio::io_context io;
  QuietTimer t(io);
  const auto start = std::chrono::steady_clock::now();
  t.expires_after(30ms);
  std::optional<error_code> got;
  t.async_wait([&](const error_code& ec) { got = ec; });
  ASSERT_TRUE(run_until(io, [&] { return got.has_value(); }));
  EXPECT_FALSE(*got) << got->message();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
}

TEST(QuietTimer, ATimerArmedInThePastCompletesAtOnceButNotInsideTheCall) {
  boost::asio::io_context io;
  QuietTimer t(io, -5s);
  std::optional<error_code> got;
  t.async_wait([&](const error_code& ec) { got = ec; });
  EXPECT_FALSE(got.has_value());
  ASSERT_TRUE(run_until(io, [&] { return got.has_value(); }));
  EXPECT_FALSE(*got);
}

TEST(QuietTimer, CancelCompletesEveryPendingWaitWithOperationAborted) {
  boost::asio::io_context io;
  QuietTimer t(io, 50ms);
  std::vector<error_code> got;
  t.async_wait([&](const error_code& ec) { got.push_back(ec); });
  t.async_wait([&](const error_code& ec) { got.push_back(ec); });
  t.cancel();
  EXPECT_TRUE(got.empty()) << "a handler ran inside cancel()";
  // Past the old expiry too: nothing else arrives.
  io.run_for(150ms);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], boost::asio::error::operation_aborted);
  EXPECT_EQ(got[1], boost::asio::error::operation_aborted);
}

TEST(QuietTimer, ReArmingAbortsTheOldWaitAndTheNewOneWaitsForTheNewExpiry) {
  boost::asio::io_context io;
  QuietTimer t(io, 20ms);
  std::vector<std::string> got;
  t.async_wait([&](const error_code& ec) { got.push_back(ec ? "old aborted" : "old fired"); });
  t.expires_after(80ms);
  t.async_wait([&](const error_code& ec) { got.push_back(ec ? "new aborted" : "new fired"); });
  ASSERT_TRUE(run_until(io, [&] { return got.size() == 2; }));
  EXPECT_EQ(got, (std::vector<std::string>{"old aborted", "new fired"}));
}

TEST(QuietTimer, DestroyingATimerAbortsItsWaitAndLeavesTheOthersRunning) {
  boost::asio::io_context io;
  auto doomed = std::make_unique<QuietTimer>(io, 20ms);
  QuietTimer kept(io, 60ms);
  std::optional<error_code> doomed_got, kept_got;
  doomed->async_wait([&](const error_code& ec) { doomed_got = ec; });
  kept.async_wait([&](const error_code& ec) { kept_got = ec; });
  doomed.reset();
  ASSERT_TRUE(run_until(io, [&] { return kept_got.has_value(); }));
  ASSERT_TRUE(doomed_got.has_value());
  EXPECT_EQ(*doomed_got, boost::asio::error::operation_aborted);
  EXPECT_FALSE(*kept_got);
}

TEST(QuietTimer, TimersOfOneLoopExpireInTheOrderOfTheirExpiries) {
  boost::asio::io_context io;
  // Armed out of order; one of them cancelled while it is the earliest.
  QuietTimer c(io, 90ms), a(io, 30ms), cancelled(io, 10ms), b(io, 60ms);
  std::vector<std::string> got;
  auto note = [&](std::string name) {
    return [&got, name](const error_code& ec) { got.push_back(name + (ec ? " aborted" : "")); };
  };
  c.async_wait(note("c"));
  a.async_wait(note("a"));
  cancelled.async_wait(note("x"));
  b.async_wait(note("b"));
  cancelled.cancel();
  ASSERT_TRUE(run_until(io, [&] { return got.size() == 4; }));
  EXPECT_EQ(got, (std::vector<std::string>{"x aborted", "a", "b", "c"}));
}

TEST(QuietTimer, AWaitAfterACancelWaitsForTheSameExpiryAsAsiosTimersDo) {
  boost::asio::io_context io;
  QuietTimer t(io, 40ms);
  t.cancel();
  std::optional<error_code> got;
  t.async_wait([&](const error_code& ec) { got = ec; });
  ASSERT_TRUE(run_until(io, [&] { return got.has_value(); }));
  EXPECT_FALSE(*got);
}

TEST(QuietTimer, AnExpiryBeyondTheClocksRangeNeverExpiresButCanBeCancelled) {
  boost::asio::io_context io;
  QuietTimer t(io, std::chrono::steady_clock::duration::max());
  std::optional<error_code> got;
  t.async_wait([&](const error_code& ec) { got = ec; });
  io.run_for(50ms);
  EXPECT_FALSE(got.has_value());
  t.cancel();
  ASSERT_TRUE(run_until(io, [&] { return got.has_value(); }));
  EXPECT_EQ(*got, boost::asio::error::operation_aborted);
}

TEST(QuietTimer, ATimerWhoseLoopEndsFirstDropsItsHandlerWithoutRunningIt) {
  bool ran = false;
  auto io = std::make_unique<boost::asio::io_context>();
  auto t = std::make_unique<QuietTimer>(*io, 1h);
  t->async_wait([&](const error_code&) { ran = true; });
  io->run_for(10ms);
  // The loop stops (shutdown) while the timer still exists; then the timer goes, then the loop.
  io->stop();
  t.reset();
  io.reset();
  EXPECT_FALSE(ran);
}

// As with Asio's timers, a loop whose timers have all fired or been cancelled has no work left:
// run() returns (the kernel timer is not watched while it is disarmed).
TEST(QuietTimer, ALoopWhoseTimersAreAllOverRunsOutOfWork) {
  boost::asio::io_context io;
  QuietTimer fired(io, 10ms), cancelled(io, 1h), rearmed(io, 1h);
  int done = 0;
  fired.async_wait([&](const error_code&) { ++done; });
  cancelled.async_wait([&](const error_code&) { ++done; });
  rearmed.async_wait([&](const error_code&) { ++done; });
  rearmed.expires_after(20ms);
  rearmed.async_wait([&](const error_code&) { ++done; });
  cancelled.cancel();
  io.run_for(30s);  // returns at once when out of work; 30 s only if something is still watched
  EXPECT_EQ(done, 4);
  EXPECT_TRUE(io.stopped()) << "the loop still had work after every timer was over";
}

// A loop that goes away with waits pending destroys their handlers without running them, even a
// handler holding the last reference to its own timer's owner (Asio's timers allow this too).
TEST(QuietTimer, ALoopDestroyedWithWaitsPendingDropsHandlersThatOwnTheirTimers) {
  struct Owner {
    explicit Owner(boost::asio::io_context& io) : timer(io) {}
    QuietTimer timer;
  };
  bool ran = false;
  auto io = std::make_unique<boost::asio::io_context>();
  {
    auto soon = std::make_shared<Owner>(*io);
    soon->timer.expires_after(1h);
    soon->timer.async_wait([soon, &ran](const error_code&) { ran = true; });
    auto never = std::make_shared<Owner>(*io);
    never->timer.expires_after(std::chrono::steady_clock::duration::max());
    never->timer.async_wait([never, &ran](const error_code&) { ran = true; });
  }
  io->run_for(10ms);
  io.reset();  // each Owner now lives only in its handler
  EXPECT_FALSE(ran);
}

TEST(QuietTimer, AnExpiryFarInThePastExpiresNow) {
  boost::asio::io_context io;
  QuietTimer t(io, std::chrono::steady_clock::duration::min());
  std::optional<error_code> got;
  t.async_wait([&](const error_code& ec) { got = ec; });
  ASSERT_TRUE(run_until(io, [&] { return got.has_value(); }));
  EXPECT_FALSE(*got);
}

}  // namespace
}  // namespace bb
