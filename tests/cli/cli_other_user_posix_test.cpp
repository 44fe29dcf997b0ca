// Another local user can neither pose as the daemon nor read what it keeps. CI runs as root, so
// these tests create a second user (backburner-other) and act as it in child processes:
// - an impostor listening where an older version put a deep state dir's socket (/tmp) gets
//   nothing: the socket stays in the private state dir;
// - an endpoint in a directory another user controls is refused before a byte is sent, with a
//   message that says so and what to do;
// - an endpoint in a private directory of ours, but served by another user's process, is
//   refused (the client checks the peer's uid);
// - the other user can read nothing of the state dir, and the daemon drops its connections.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_process.h"
#include "state_paths.h"

namespace bb::test {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr const char* kOtherUser = "backburner-other";

struct Other {
  uid_t uid = 0;
  gid_t gid = 0;
};

// The second user, created on first use (needs root).
std::optional<Other> other_user() {
  if (::geteuid() != 0) return std::nullopt;
  if (::getpwnam(kOtherUser) == nullptr) {
    const std::string cmd = std::string("useradd --system --no-create-home --shell /bin/false ") +
                            kOtherUser + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0 && ::getpwnam(kOtherUser) == nullptr) return std::nullopt;
  }
  const passwd* pw = ::getpwnam(kOtherUser);
  if (pw == nullptr) return std::nullopt;
  return Other{pw->pw_uid, pw->pw_gid};
}

#define REQUIRE_OTHER_USER(var)                                                              \
  const auto var = other_user();                                                             \
  if (!var) {                                                                                \
    if (::geteuid() != 0) BB_SKIP_OR_FAIL("needs root to act as a second user (CI is root)"); \
    FAIL() << "cannot create the user " << kOtherUser;                                       \
  }

// A process of the other user that listens on `path` (creating `dir` as its own with `mode`
// first when asked) and reports whether anyone connected and what they sent, within `wait`.
class Impostor {
 public:
  Impostor(const Other& who, const fs::path& path, bool make_dir, mode_t mode,
           std::chrono::milliseconds wait) {
    int ready[2], report[2];
    if (::pipe(ready) != 0 || ::pipe(report) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(report[0]);
      if (::setgroups(0, nullptr) != 0 || ::setgid(who.gid) != 0 || ::setuid(who.uid) != 0)
        ::_exit(10);
      if (make_dir && ::mkdir(path.parent_path().c_str(), mode) != 0) ::_exit(11);
      if (make_dir) ::chmod(path.parent_path().c_str(), mode);
      const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
      ::unlink(path.c_str());
      if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s, 8) != 0)
        ::_exit(12);
      ::chmod(path.c_str(), 0777);
      (void)!::write(ready[1], "r", 1);
      pollfd p{s, POLLIN, 0};
      std::string got = "none";
      if (::poll(&p, 1, static_cast<int>(wait.count())) > 0) {
        const int c = ::accept(s, nullptr, nullptr);
        char buf[256] = {};
        pollfd q{c, POLLIN, 0};
        ssize_t n = ::poll(&q, 1, 500) > 0 ? ::read(c, buf, sizeof buf - 1) : 0;
        got = "connected:" + std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
      }
      (void)!::write(report[1], got.data(), got.size());
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(report[1]);
    char c = 0;
    ok_ = ::read(ready[0], &c, 1) == 1;
    ::close(ready[0]);
    report_ = report[0];
  }
  ~Impostor() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (report_ >= 0) ::close(report_);
  }
  bool listening() const { return ok_; }
  // "none", or "connected:" and the bytes received.
  std::string outcome() {
    std::string out;
    char buf[512];
    for (ssize_t n; (n = ::read(report_, buf, sizeof buf)) > 0;) out.append(buf, n);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return out;
  }

 private:
  pid_t pid_ = -1;
  int report_ = -1;
  bool ok_ = false;
};

std::map<std::string, std::string> cli_env(const fs::path& home) {
  std::map<std::string, std::string> env;
  for (const char* k : {"PATH", "HOME", "LANG"})
    if (const char* v = std::getenv(k)) env[k] = v;
  env["BACKBURNER_HOME"] = home.string();
  return env;
}

TEST(CliOtherUser, AnImpostorInTheOldTmpFallbackForADeepStateDirGetsNothing) {
  REQUIRE_OTHER_USER(other);
  TempDir dir;
  const fs::path deep = dir.path() / std::string(120, 'd') / "state";
  fs::create_directories(deep.parent_path());
  // Where a deep state dir's socket used to go: the other user took it first.
  char old_name[64];
  std::snprintf(old_name, sizeof old_name, "backburner-%016llx.sock",
                static_cast<unsigned long long>(state_dir_hash(deep)));
  const fs::path old_dir = fs::path("/tmp") / ("backburner-" + std::to_string(::getuid()));
  fs::remove_all(old_dir);
  Impostor impostor(*other, old_dir / old_name, true, 0777, std::chrono::seconds(2));
  ASSERT_TRUE(impostor.listening());
  auto env = cli_env(deep);
  env["BB_TEST_TAG"] = "other-user-deep";
  const auto started = run_cli({"start", "--", "echo private"}, env);
  ASSERT_EQ(started.status, 0) << describe(started);
  const std::string id = started.out.substr(0, started.out.find('\n'));
  const auto waited = run_cli({"wait", id}, env);
  EXPECT_EQ(waited.status, 0) << describe(waited);
  EXPECT_EQ(impostor.outcome(), "none");
  EXPECT_TRUE(fs::exists(deep / "backburnerd.sock"));
  run_cli({"daemon", "stop"}, env);
  fs::remove_all(old_dir);
  kill_tagged_processes("other-user-deep");
}

TEST(CliOtherUser, AnEndpointInADirectoryAnotherUserControlsIsRefusedBeforeAnythingIsSent) {
  REQUIRE_OTHER_USER(other);
  TempDir dir;
  ::chmod(dir.path().c_str(), 0777);  // the other user makes a directory in it
  const fs::path theirs = dir.path() / "shared" / "bb.sock";
  Impostor impostor(*other, theirs, true, 0777, std::chrono::seconds(3));
  ASSERT_TRUE(impostor.listening());
  auto env = cli_env(dir.path() / "state");
  env["BACKBURNER_SOCKET"] = theirs.string();
  const auto r = run_cli({"start", "--", "echo secret; env"}, env);
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.err, HasSubstr("not private to you"));
  EXPECT_THAT(r.err, HasSubstr("belongs to another user"));
  EXPECT_THAT(r.err, HasSubstr("BACKBURNER_SOCKET"));
  EXPECT_EQ(impostor.outcome(), "none");
  // And no daemon was started for it.
  EXPECT_FALSE(fs::exists(dir.path() / "state" / "backburnerd.pid"));
}

TEST(CliOtherUser, ASocketServedByAnotherUserInOurOwnDirectoryIsRefused) {
  REQUIRE_OTHER_USER(other);
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  const fs::path sockdir = dir.path() / "ours";
  fs::create_directory(sockdir);
  ::chown(sockdir.c_str(), other->uid, other->gid);  // lend it while they bind...
  Impostor impostor(*other, sockdir / "bb.sock", false, 0, std::chrono::seconds(3));
  ASSERT_TRUE(impostor.listening());
  ::chown(sockdir.c_str(), ::getuid(), ::getgid());  // ...and take it back, private again
  ::chmod(sockdir.c_str(), 0700);
  auto env = cli_env(dir.path() / "state");
  env["BACKBURNER_SOCKET"] = (sockdir / "bb.sock").string();
  const auto r = run_cli({"start", "--", "echo secret"}, env);
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.err, HasSubstr("refusing to talk to the process listening"));
  EXPECT_THAT(r.err, HasSubstr("uid " + std::to_string(other->uid)));
  // It connected (that is how the peer is known) but was sent nothing.
  EXPECT_EQ(impostor.outcome(), "connected:");
}

TEST(CliOtherUser, AnotherUserCanReadNothingOfTheStateDirAndIsNotServed) {
  REQUIRE_OTHER_USER(other);
  DaemonFixture d;
  ::chmod(d.home().c_str(), 0755);
  d.start();
  auto t = d.start_task("echo the-secret-output");
  d.wait_task(t["task_id"]);
  const fs::path state = d.home() / "state";
  const fs::path log = d.task_dir(t["task_id"]) / "output.log";
  // Even with the state dir opened up afterwards, the files themselves are the user's alone.
  ::chmod(state.c_str(), 0755);
  ::chmod((state / "tasks").c_str(), 0755);
  ::chmod(d.task_dir(t["task_id"]).c_str(), 0755);
  ::chmod(d.socket().c_str(), 0666);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(other->gid) != 0 || ::setuid(other->uid) != 0)
      ::_exit(10);
    int failures = 0;
    for (const fs::path& f : {state / "backburner.db", state / "backburner.db-wal", log})
      if (::open(f.c_str(), O_RDONLY) >= 0) failures |= 1;
    // The daemon closes a connection of another uid without a word.
    const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", d.socket().c_str());
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      const char hello[] =
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"hello\",\"params\":{\"protocol_version\":1,"
          "\"client\":{\"name\":\"x\"}}}\n";
      // The daemon may have closed it already: no SIGPIPE for writing to it.
      (void)!::send(s, hello, sizeof hello - 1, MSG_NOSIGNAL);
      char buf[64];
      pollfd p{s, POLLIN, 0};
      if (::poll(&p, 1, 3000) > 0 && ::read(s, buf, sizeof buf) > 0) failures |= 2;
    }
    ::_exit(failures);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status) & 1, 0) << "another user could open the store or a log";
  EXPECT_EQ(WEXITSTATUS(status) & 2, 0) << "the daemon answered another user";
  EXPECT_NE(WEXITSTATUS(status), 10) << "could not become the other user";
}

}  // namespace
}  // namespace bb::test
