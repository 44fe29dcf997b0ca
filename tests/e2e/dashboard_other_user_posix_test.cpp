// End to end: another user on the machine gets nothing from this user's dashboard, not even
// with this user's session cookie (browsers send cookies to every port of 127.0.0.1, so another
// user's server there can receive it). CI runs as root; the test acts as a second user
// (backburner-other, created on first use) in a child process.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "daemon_fixture.h"

namespace bb::test {
namespace {

using nlohmann::json;

constexpr const char* kOtherUser = "backburner-other";

std::optional<passwd> other_user() {
  if (::geteuid() != 0) return std::nullopt;
  if (::getpwnam(kOtherUser) == nullptr) {
    const std::string cmd = std::string("useradd --system --no-create-home --shell /bin/false ") +
                            kOtherUser + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0 && ::getpwnam(kOtherUser) == nullptr) return std::nullopt;
  }
  const passwd* pw = ::getpwnam(kOtherUser);
  if (pw == nullptr) return std::nullopt;
  return *pw;
}

// One request on a fresh connection to 127.0.0.1:port; everything the server sent back.
std::string http_exchange(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "(no connection)";
  }
  // The daemon may hang up before the request is written: EPIPE, not a SIGPIPE that kills.
  (void)!::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string got;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return got;
}

// The same exchange from a child process running as `who`: what it read, through a pipe.
std::string http_exchange_as(const passwd& who, int port, const std::string& request) {
  int p[2];
  if (::pipe(p) != 0) return "(no pipe)";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(p[0]);
    if (::setgid(who.pw_gid) != 0 || ::setuid(who.pw_uid) != 0 || ::getuid() == 0) {
      (void)!::write(p[1], "(not the other user)", 20);
      _exit(2);
    }
    // "got:" first: an empty answer must mean the server said nothing, not that we died.
    const std::string got = "got:" + http_exchange(port, request);
    (void)!::write(p[1], got.data(), got.size());
    _exit(0);
  }
  ::close(p[1]);
  std::string got;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(p[0], buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return got + "(the probe died)";
  return got;
}

TEST(DashboardOtherUser, AnotherUsersProcessGetsNothingEvenWithTheSessionCookie) {
  const auto other = other_user();
  if (!other) {
    if (::geteuid() != 0) BB_SKIP_OR_FAIL("needs root to act as a second user (CI is root)");
    FAIL() << "cannot create the user " << kOtherUser;
  }
  DaemonFixture d(std::map<std::string, std::string>{{"BACKBURNER_DASHBOARD_PORT", "0"}});
  d.start();
  json opened = d.call("dashboard.open", json::object());
  const int port = opened["port"].get<int>();
  const std::string url = opened["url"].get<std::string>();
  const std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  // The token, even fresh, is no use to another user...
  json other_link = d.call("dashboard.open", json::object());
  const std::string other_url = other_link["url"].get<std::string>();
  EXPECT_EQ(http_exchange_as(*other, port,
                        "GET /" + other_url.substr(other_url.find('?')) + " HTTP/1.1\r\n" + host +
                            "Connection: close\r\n\r\n"),
            "got:");
  // ...and neither is the cookie this user's browser got.
  const std::string head = http_exchange(port, "GET /" + url.substr(url.find('?')) + " HTTP/1.1\r\n" +
                                              host + "Connection: close\r\n\r\n");
  const auto at = head.find("Set-Cookie: ");
  ASSERT_NE(at, std::string::npos) << head;
  const std::string cookie = head.substr(at + 12, head.find(';', at) - at - 12);
  const std::string request =
      "GET /api/tasks HTTP/1.1\r\n" + host + "Cookie: " + cookie + "\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(http_exchange_as(*other, port, request), "got:") << "closed without a word";
  EXPECT_NE(http_exchange(port, request).find("HTTP/1.1 200 OK"), std::string::npos);
}

}  // namespace
}  // namespace bb::test
