// End to end: a full disk loses no outcome. The state dir lives on a small tmpfs; a task fills
// it with output. Its keeper reserved room for the outcome before the task ran, so the task's
// real exit code is recorded; the daemon answers clearly while the disk is full and records
// what it could not once space returns, by itself.
#include <sys/mount.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon_fixture.h"

namespace bb::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// A tmpfs of `bytes` mounted on `dir` for the life of the object.
class SmallDisk {
 public:
  SmallDisk(const std::filesystem::path& dir, std::size_t bytes) : dir_(dir) {
    std::filesystem::create_directories(dir);
    const std::string opts = "size=" + std::to_string(bytes) + ",mode=0700";
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) == 0;
    error_ = mounted_ ? "" : std::strerror(errno);
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
  std::string error_;
};

TEST(DaemonFullDisk, ATaskThatFillsTheDiskKeepsItsExitCodeAndTheDaemonRecovers) {
  if (::geteuid() != 0) BB_SKIP_OR_FAIL("mounting a small tmpfs needs root (CI runs as root)");
  DaemonFixture d;
  SmallDisk disk(d.home() / "state", 8u * 1024 * 1024);
  ASSERT_TRUE(disk.mounted()) << "cannot mount a tmpfs for the state dir: " << disk.error();
  d.start();
  // Most of the disk taken by something else; the task then fills the rest with its output.
  const auto filler = d.home() / "state" / "filler";
  {
    // All but 1 MiB of what is free now.
    const auto space = std::filesystem::space(d.home() / "state");
    ASSERT_GT(space.available, 2u * 1024 * 1024);
    std::ofstream f(filler, std::ios::binary);
    const std::string kib(1024, 'x');
    for (std::uintmax_t n = 0; n + 1024 * 1024 < space.available; n += kib.size()) f << kib;
  }
  json t = d.start_task("head -c 50000000 /dev/zero; exit 3");
  const std::string id = t["task_id"];
  // The keeper records the real outcome in the room it reserved, whatever the store can do.
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(d.task_dir(id) / "outcome"); },
                         std::chrono::seconds(30)));
  // The daemon still answers while the disk is full: the task's state, and a start refused
  // (or recorded as failed) with a message that says what is wrong.
  RpcClient c = d.client();
  auto got = c.call("task.get", {{"task_id", id}}, std::chrono::seconds(10));
  ASSERT_TRUE(std::holds_alternative<json>(got)) << std::get<RpcError>(got).message;
  auto refused = c.call("task.start",
                        {{"command", "echo hi"}, {"cwd", d.home().string()}, {"env", d.task_env()}},
                        std::chrono::seconds(10));
  if (auto* e = std::get_if<RpcError>(&refused)) {
    EXPECT_THAT(e->message, HasSubstr("full")) << e->code;
  } else {
    json second = d.wait_task(std::get<json>(refused)["task_id"], 10);
    EXPECT_EQ(second["status"], "failed");
    EXPECT_THAT(second.value("status_message", ""), HasSubstr("full"));
  }
  // Space returns: everything is recorded by itself, and new tasks run.
  std::filesystem::remove(filler);
  json done = d.wait_task(id, 30);
  EXPECT_EQ(done["status"], "failed");
  EXPECT_EQ(done["exit_code"], 3);
  EXPECT_THAT(done.value("status_message", ""), HasSubstr("disk holding the log was full"));
  json after = d.start_task("echo back");
  EXPECT_EQ(d.wait_task(after["task_id"])["status"], "completed");
  d.stop();
}

}  // namespace
}  // namespace bb::test
