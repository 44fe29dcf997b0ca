// The keeper's record files: what the keeper writes, the daemon must read back unchanged.
#include <fstream>

#include <gtest/gtest.h>

#include "keeper_files.h"
#include "paths.h"

namespace bb::keeper {
namespace {

namespace fs = std::filesystem;

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(KeeperFiles, ARunRecordRoundTrips) {
  test::TempDir dir;
  RunRecord run{4242, 123456789, 4243, 123456790, 1795000000123};
  ASSERT_TRUE(write_run(dir.path(), run));
  EXPECT_EQ(read_run(dir.path()), run);
  EXPECT_FALSE(fs::exists(dir.path() / "run.tmp"));
}

TEST(KeeperFiles, AnOutcomeRoundTripsWithEveryField) {
  test::TempDir dir;
  Outcome o;
  o.how = How::cancelled;
  o.started_at_ms = 1795000000000;
  o.finished_at_ms = 1795000001500;
  o.survivors = {31, 4000000};
  o.message = "cancelled; 2 processes survived SIGKILL: 31,4000000";
  ASSERT_TRUE(write_outcome(dir.path(), o));
  EXPECT_EQ(read_outcome(dir.path()), o);
}

TEST(KeeperFiles, ExitCodeAndSignalAreAbsentUnlessSet) {
  test::TempDir dir;
  Outcome exited;
  exited.exit_code = 0;
  ASSERT_TRUE(write_outcome(dir.path(), exited));
  auto back = read_outcome(dir.path());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->exit_code, 0);
  EXPECT_FALSE(back->signal);

  Outcome signaled;
  signaled.how = How::signaled;
  signaled.signal = 9;
  ASSERT_TRUE(write_outcome(dir.path(), signaled));
  back = read_outcome(dir.path());
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->exit_code);
  EXPECT_EQ(back->signal, 9);
  EXPECT_TRUE(back->survivors.empty());
}

TEST(KeeperFiles, AMessageIsKeptOnOneLine) {
  test::TempDir dir;
  Outcome o;
  o.how = How::spawn_failed;
  o.message = "first\nsecond\r\nthird = still the message";
  ASSERT_TRUE(write_outcome(dir.path(), o));
  auto back = read_outcome(dir.path());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->message, "first second  third = still the message");
}

TEST(KeeperFiles, EveryHowHasAName) {
  for (How h : {How::exited, How::signaled, How::timed_out, How::cancelled, How::interrupted,
                How::spawn_failed})
    EXPECT_EQ(how_from_string(to_string(h)), h);
  EXPECT_EQ(std::string(to_string(How::timed_out)), "timed_out");
  EXPECT_FALSE(how_from_string("finished"));
}

TEST(KeeperFiles, UnknownKeysAreIgnored) {
  test::TempDir dir;
  write_text(dir.path() / kRunFile,
             "format=2\nkeeper_pid=1\nkeeper_start=2\nshell_pid=3\nshell_start=4\n"
             "cgroup=/x\nstarted_at_ms=5\n");
  EXPECT_EQ(read_run(dir.path()), (RunRecord{1, 2, 3, 4, 5}));
  write_text(dir.path() / kOutcomeFile, "how=exited\nexit_code=3\nnew_field=yes\n");
  auto o = read_outcome(dir.path());
  ASSERT_TRUE(o);
  EXPECT_EQ(o->how, How::exited);
  EXPECT_EQ(o->exit_code, 3);
}

TEST(KeeperFiles, MissingFilesReadAsNothing) {
  test::TempDir dir;
  EXPECT_FALSE(read_run(dir.path()));
  EXPECT_FALSE(read_outcome(dir.path()));
  EXPECT_FALSE(read_run(dir.path() / "no-such-dir"));
}

TEST(KeeperFiles, IncompleteOrMalformedFilesReadAsNothing) {
  test::TempDir dir;
  write_text(dir.path() / kRunFile, "keeper_pid=1\nkeeper_start=2\nshell_pid=3\n");
  EXPECT_FALSE(read_run(dir.path()));
  write_text(dir.path() / kRunFile,
             "keeper_pid=1x\nkeeper_start=2\nshell_pid=3\nshell_start=4\nstarted_at_ms=5\n");
  EXPECT_FALSE(read_run(dir.path()));
  write_text(dir.path() / kOutcomeFile, "exit_code=0\n");
  EXPECT_FALSE(read_outcome(dir.path()));
  write_text(dir.path() / kOutcomeFile, "how=vanished\n");
  EXPECT_FALSE(read_outcome(dir.path()));
  write_text(dir.path() / kOutcomeFile, "how=cancelled\nsurvivors=1,,2\n");
  EXPECT_FALSE(read_outcome(dir.path()));
}

TEST(KeeperFiles, ARewriteReplacesTheWholeFile) {
  test::TempDir dir;
  Outcome first;
  first.how = How::signaled;
  first.signal = 15;
  first.message = "a long message that the second write must not leave a tail of";
  ASSERT_TRUE(write_outcome(dir.path(), first));
  Outcome second;
  second.exit_code = 1;
  ASSERT_TRUE(write_outcome(dir.path(), second));
  EXPECT_EQ(read_outcome(dir.path()), second);
}

TEST(KeeperFiles, AWriteIntoAMissingDirectoryFails) {
  test::TempDir dir;
  EXPECT_FALSE(write_run(dir.path() / "gone", RunRecord{}));
  EXPECT_FALSE(write_outcome(dir.path() / "gone", Outcome{}));
}

}  // namespace
}  // namespace bb::keeper
