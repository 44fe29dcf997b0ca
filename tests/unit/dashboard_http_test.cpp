// Unit: the dashboard's HTTP layer. The gate on its own (tokens, cookies, Host/Origin, CSRF),
// the helpers (ranges, queries, cookies), then the server on a loopback port, driven by a plain
// blocking client: 401s that tell nothing, the cookie exchange, bad requests (a 1 MB header, a
// malformed request line, a client that never finishes its request) that never stall anyone
// else, the connection bound; and the API answering from a task manager with fake processes
// (paging, filters, the timeline, ranges of a log).
#include <chrono>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/host_name.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dashboard.h"
#include "dashboard_http.h"
#include "keeper_files.h"
#include "paths.h"
#include "retention.h"

namespace bb {
namespace {

using namespace dashboard;
using nlohmann::json;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// ---- the gate

GateInput get(const std::string& path, std::uint16_t port) {
  GateInput in;
  in.method = "GET";
  in.path = path;
  in.host = "127.0.0.1:" + std::to_string(port);
  return in;
}

std::string cookie_of(const GateVerdict& v) {
  return v.set_cookie.substr(0, v.set_cookie.find(';'));
}

TEST(DashboardGate, WithoutATokenOrACookieEverythingIs401AndSaysOnlyHowToGetIn) {
  AccessGate g;
  g.set_port(21000);
  for (const char* path : {"/", "/api/tasks", "/api/health", "/api/events", "/app.js"}) {
    auto v = g.check(get(path, 21000));
    EXPECT_EQ(v.kind, GateVerdict::Kind::reject) << path;
    EXPECT_EQ(v.status, 401u) << path;
    EXPECT_EQ(v.message, "401 Unauthorized: open the link that `backburner dashboard` prints.\n");
  }
  auto bad = get("/", 21000);
  bad.query["token"] = std::string(64, 'a');
  EXPECT_EQ(g.check(bad).status, 401u);
}

TEST(DashboardGate, AFirstVisitTradesTheTokenOnceForAStrictHttpOnlyCookie) {
  AccessGate g;
  g.set_port(21000);
  const std::string token = g.mint_token();
  EXPECT_EQ(token.size(), 64u);
  auto in = get("/", 21000);
  in.query = {{"token", token}, {"view", "x"}};
  auto v = g.check(in);
  ASSERT_EQ(v.kind, GateVerdict::Kind::redirect);
  EXPECT_EQ(v.status, 303u);
  EXPECT_EQ(v.location, "/?view=x");  // the token is gone from the URL
  EXPECT_NE(v.set_cookie.find("bb_dashboard_21000="), std::string::npos);
  EXPECT_NE(v.set_cookie.find("; HttpOnly"), std::string::npos);
  EXPECT_NE(v.set_cookie.find("; SameSite=Strict"), std::string::npos);
  EXPECT_NE(v.set_cookie.find("; Path=/"), std::string::npos);
  // Spent: a second browser gets nothing from the same link.
  EXPECT_EQ(g.check(in).status, 401u);
  // The cookie lets the browser in everywhere.
  auto api = get("/api/tasks", 21000);
  api.cookie = "other=1; " + cookie_of(v);
  auto pass = g.check(api);
  EXPECT_EQ(pass.kind, GateVerdict::Kind::pass);
  EXPECT_EQ(pass.csrf.size(), 32u);
  // The old link opened again in that browser: back to the page, no new session.
  in.cookie = cookie_of(v);
  auto again = g.check(in);
  EXPECT_EQ(again.kind, GateVerdict::Kind::redirect);
  EXPECT_TRUE(again.set_cookie.empty());
  EXPECT_EQ(g.session_count(), 1u);
}

TEST(DashboardGate, ATokenExpiresAndIsNeverTradedOnAnApiPath) {
  HttpLimits limits;
  limits.token_lifetime = std::chrono::seconds(600);
  AccessGate g(limits);
  g.set_port(21000);
  const auto t0 = Clock::now();
  const std::string old_token = g.mint_token(t0);
  auto in = get("/", 21000);
  in.query["token"] = old_token;
  EXPECT_EQ(g.check(in, t0 + std::chrono::seconds(601)).status, 401u);
  const std::string token = g.mint_token(t0);
  auto api = get("/api/tasks", 21000);
  api.query["token"] = token;
  EXPECT_EQ(g.check(api, t0).status, 401u);
  in.query["token"] = token;  // still unspent
  EXPECT_EQ(g.check(in, t0).kind, GateVerdict::Kind::redirect);
}

TEST(DashboardGate, OnlyLoopbackHostsOfItsOwnPortAreAnswered) {
  AccessGate g;
  g.set_port(21000);
  auto ok = g.check([&] {
    auto in = get("/", 21000);
    in.query["token"] = g.mint_token();
    in.host = "localhost:21000";
    return in;
  }());
  ASSERT_EQ(ok.kind, GateVerdict::Kind::redirect);
  for (std::optional<std::string> host :
       {std::optional<std::string>{}, std::optional<std::string>{"evil.example:21000"},
        std::optional<std::string>{"127.0.0.1"}, std::optional<std::string>{"127.0.0.1:21001"},
        std::optional<std::string>{"localhost.evil.example:21000"},
        std::optional<std::string>{"[::1]:21000"}}) {
    auto in = get("/api/tasks", 21000);
    in.host = host;
    in.cookie = cookie_of(ok);
    auto v = g.check(in);
    EXPECT_EQ(v.status, 403u) << host.value_or("(none)");
    EXPECT_EQ(v.kind, GateVerdict::Kind::reject);
  }
}

TEST(DashboardGate, RequestsFromOtherOriginsAreRefused) {
  AccessGate g;
  g.set_port(21000);
  auto in = get("/", 21000);
  in.query["token"] = g.mint_token();
  const std::string cookie = cookie_of(g.check(in));
  for (const char* origin : {"http://evil.example", "null", "http://127.0.0.1:21001",
                             "https://127.0.0.1:21000", "http://localhost:21000.evil.example"}) {
    auto r = get("/api/tasks", 21000);
    r.cookie = cookie;
    r.origin = origin;
    EXPECT_EQ(g.check(r).status, 403u) << origin;
  }
  auto same = get("/api/tasks", 21000);
  same.cookie = cookie;
  same.origin = "http://localhost:21000";
  EXPECT_EQ(g.check(same).kind, GateVerdict::Kind::pass);
}

TEST(DashboardGate, AChangeNeedsTheCookieTheOriginAndTheSessionsCsrfToken) {
  AccessGate g;
  g.set_port(21000);
  auto in = get("/", 21000);
  in.query["token"] = g.mint_token();
  const std::string cookie = cookie_of(g.check(in));
  auto read = get("/api/session", 21000);
  read.cookie = cookie;
  const std::string csrf = g.check(read).csrf;

  GateInput post = get("/api/tasks/abc/cancel", 21000);
  post.method = "POST";
  post.origin = "http://127.0.0.1:21000";
  post.csrf = csrf;
  EXPECT_EQ(g.check(post).status, 401u) << "no cookie";
  post.cookie = cookie;
  EXPECT_EQ(g.check(post).kind, GateVerdict::Kind::pass);
  auto no_csrf = post;
  no_csrf.csrf.reset();
  EXPECT_EQ(g.check(no_csrf).status, 403u);
  auto wrong = post;
  wrong.csrf = std::string(csrf.size(), '0');
  EXPECT_EQ(g.check(wrong).status, 403u);
  auto no_origin = post;
  no_origin.origin.reset();
  EXPECT_EQ(g.check(no_origin).status, 403u);
}

TEST(DashboardGate, SessionsAndTokensAreBounded) {
  HttpLimits limits;
  limits.max_sessions = 3;
  limits.max_tokens = 2;
  AccessGate g(limits);
  g.set_port(1);
  std::vector<std::string> cookies;
  for (int i = 0; i < 5; ++i) {
    auto in = get("/", 1);
    in.query["token"] = g.mint_token();
    cookies.push_back(cookie_of(g.check(in)));
  }
  EXPECT_EQ(g.session_count(), 3u);
  auto first = get("/api/tasks", 1);
  first.cookie = cookies[0];
  EXPECT_EQ(g.check(first).status, 401u);  // the oldest session went
  first.cookie = cookies[4];
  EXPECT_EQ(g.check(first).kind, GateVerdict::Kind::pass);
  const std::string a = g.mint_token(), b = g.mint_token(), c = g.mint_token();
  EXPECT_EQ(g.token_count(), 2u);
  auto in = get("/", 1);
  in.query["token"] = a;
  EXPECT_EQ(g.check(in).status, 401u);
  in.query["token"] = c;
  EXPECT_EQ(g.check(in).kind, GateVerdict::Kind::redirect);
}

// ---- helpers

TEST(DashboardHelpers, RangesAreParsedAsRfc9110SaysForOneRange) {
  auto br = [](std::string_view h, std::uint64_t size) {
    auto r = parse_range(h, size);
    if (auto* b = std::get_if<ByteRange>(&r)) return std::to_string(b->first) + "-" + std::to_string(b->last);
    if (std::holds_alternative<Unsatisfiable>(r)) return std::string("416");
    return std::string("whole");
  };
  EXPECT_EQ(br("", 100), "whole");
  EXPECT_EQ(br("bytes=0-9", 100), "0-9");
  EXPECT_EQ(br("bytes=90-", 100), "90-99");
  EXPECT_EQ(br("bytes=90-500", 100), "90-99");
  EXPECT_EQ(br("bytes=-10", 100), "90-99");
  EXPECT_EQ(br("bytes=-500", 100), "0-99");
  EXPECT_EQ(br("bytes=100-", 100), "416");
  EXPECT_EQ(br("bytes=0-", 0), "416");
  EXPECT_EQ(br("bytes=-0", 100), "416");
  EXPECT_EQ(br("bytes=5-2", 100), "whole");
  EXPECT_EQ(br("bytes=0-1,5-6", 100), "whole");
  EXPECT_EQ(br("items=0-1", 100), "whole");
  EXPECT_EQ(br("bytes=a-b", 100), "whole");
  EXPECT_EQ(br("bytes=99999999999999999999-", 100), "whole");
}

TEST(DashboardHelpers, QueriesAndCookiesAreDecoded) {
  auto q = parse_query("a=1&b=x%20y+z&c&d=%zz&a=2");
  EXPECT_EQ(q["a"], "2");
  EXPECT_EQ(q["b"], "x y z");
  EXPECT_EQ(q["c"], "");
  EXPECT_EQ(q["d"], "%zz");
  EXPECT_EQ(percent_decode("/api/tasks/a+b%2F", false), "/api/tasks/a+b/");
  EXPECT_EQ(cookie_value("x=1; bb=2;y=3", "bb"), "2");
  EXPECT_EQ(cookie_value("xbb=1", "bb"), std::nullopt);
  EXPECT_EQ(cookie_value("bbx=1", "bb"), std::nullopt);
}

TEST(DashboardHelpers, TheDefaultPortDependsOnTheUserAndStaysBelowTheEphemeralRange) {
  EXPECT_EQ(default_port_for_user("1000"), 21000);
  EXPECT_EQ(default_port_for_user("1001"), 21001);
  EXPECT_EQ(default_port_for_user("0"), 20000);
  const auto sid = default_port_for_user("S-1-5-21-1004336348-1177238915-682003330-1001");
  EXPECT_GE(sid, 20000);
  EXPECT_LT(sid, 32000);
}

// ---- the server on a loopback port

// What a client saw.
struct Reply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool closed = false;  // the server closed the connection after it
};

Reply parse_reply(const std::string& raw) {
  Reply r;
  const auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return r;
  std::istringstream head(raw.substr(0, end));
  std::string line;
  std::getline(head, line);
  if (line.size() > 12) r.status = static_cast<unsigned>(std::stoi(line.substr(9, 3)));
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string k = line.substr(0, colon);
    for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[k] = line.substr(colon + 2);
  }
  r.body = raw.substr(end + 4);
  return r;
}

// A blocking client: one request per connection, read until the server closes or the body's
// length arrived.
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
  }
  void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // Reads one response (Content-Length bodies), or up to the close.
  Reply receive() {
    std::string raw;
    char buf[65536];
    boost::system::error_code ec;
    for (;;) {
      const auto end = raw.find("\r\n\r\n");
      if (end != std::string::npos) {
        Reply r = parse_reply(raw);
        if (r.headers.count("content-length") &&
            raw.size() - end - 4 >= std::stoull(r.headers["content-length"])) {
          r.body = r.body.substr(0, std::stoull(r.headers["content-length"]));
          r.closed = r.headers["connection"] == "close";
          return r;
        }
      }
      const std::size_t n = socket_.read_some(asio::buffer(buf), ec);
      if (ec) break;
      raw.append(buf, n);
    }
    Reply r = parse_reply(raw);
    r.closed = true;
    return r;
  }
  // True once the server closed this connection (EOF), waiting at most `limit`.
  bool closed_within(std::chrono::milliseconds limit) {
    socket_.non_blocking(true);
    const auto end = Clock::now() + limit;
    char c;
    do {  // at least once, so a limit of 0 asks "closed by now?"
      boost::system::error_code ec;
      socket_.read_some(asio::buffer(&c, 1), ec);
      if (ec && ec != asio::error::would_block) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } while (Clock::now() < end);
    return false;
  }
  Reply request(const std::string& bytes) {
    send(bytes);
    return receive();
  }
  // Reads until `needle` arrived, or `limit` passed.
  std::string read_until(const std::string& needle, std::chrono::milliseconds limit) {
    socket_.non_blocking(true);
    std::string got;
    char buf[4096];
    const auto end = Clock::now() + limit;
    while (got.find(needle) == std::string::npos && Clock::now() < end) {
      boost::system::error_code ec;
      const std::size_t n = socket_.read_some(asio::buffer(buf), ec);
      if (ec == asio::error::would_block) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      if (ec) break;
      got.append(buf, n);
    }
    socket_.non_blocking(false);
    return got;
  }
  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

// Answers every request with its path; /api/events is a stream.
class EchoHandler : public DashboardHandler {
 public:
  void handle(const Request& r, Reply reply) override {
    ++handled;
    Response res;
    res.content_type = "text/plain";
    res.body = r.method + " " + r.path + " " + r.body;
    reply(std::move(res));
  }
  bool is_stream(const Request& r) const override { return r.path == "/api/events"; }
  void open_stream(const Request&, std::shared_ptr<EventStream> s) override {
    s->send("hello", "{}");
    streams.push_back(std::move(s));
  }
  void stream_closed(EventStream&) override { ++closed_streams; }
  std::atomic<int> handled{0};
  std::vector<std::shared_ptr<EventStream>> streams;
  std::atomic<int> closed_streams{0};
};

class ServerTest : public ::testing::Test {
 protected:
  void start(HttpLimits limits = {}) {
    server = std::make_unique<HttpServer>(io, handler, limits);
    ASSERT_EQ(server->listen(0), "");
    port = server->port();
    thread = std::thread([this] { io.run(); });
  }
  template <typename F>
  auto on_loop(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    asio::post(io, [&task] { task(); });
    return fut.get();
  }
  ~ServerTest() override {
    if (thread.joinable()) {
      on_loop([this] { server->stop(); });
      guard.reset();
      io.stop();
      thread.join();
    }
  }
  std::string host() const { return "Host: 127.0.0.1:" + std::to_string(port) + "\r\n"; }
  // A cookie from a token minted on the loop.
  std::string sign_in() {
    const std::string token = on_loop([this] { return server->gate().mint_token(); });
    Client c(port);
    Reply r = c.request("GET /?token=" + token + " HTTP/1.1\r\n" + host() + "\r\n");
    EXPECT_EQ(r.status, 303u);
    EXPECT_EQ(r.headers["location"], "/");
    return r.headers["set-cookie"].substr(0, r.headers["set-cookie"].find(';'));
  }

  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  EchoHandler handler;
  std::unique_ptr<HttpServer> server;
  std::uint16_t port = 0;
  std::thread thread;
};

TEST_F(ServerTest, ItListensOnTheLoopbackInterfaceOnly) {
  start();
  asio::io_context cio;
  tcp::socket s(cio);
  boost::system::error_code ec;
  // Whatever this machine's other addresses are, the port is not bound on them.
  for (const auto& e : tcp::resolver(cio).resolve(asio::ip::host_name(), "", ec)) {
    const auto a = e.endpoint().address();
    if (a.is_loopback() || !a.is_v4()) continue;
    s.connect(tcp::endpoint(a, port), ec);
    EXPECT_TRUE(ec) << "reachable on " << a.to_string();
    s.close();
  }
  Client c(port);  // and it is on 127.0.0.1
  EXPECT_EQ(c.request("GET / HTTP/1.1\r\n" + host() + "\r\n").status, 401u);
}

TEST_F(ServerTest, A401TellsNothingAndEveryResponseCarriesTheSecurityHeaders) {
  start();
  Client c(port);
  Reply r = c.request("GET /api/tasks HTTP/1.1\r\n" + host() +
                      "Origin: http://127.0.0.1:" + std::to_string(port) + "\r\n\r\n");
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(r.body, "401 Unauthorized: open the link that `backburner dashboard` prints.\n");
  EXPECT_EQ(handler.handled, 0);
  EXPECT_EQ(r.headers.count("server"), 0u);
  for (const auto& [k, v] : r.headers) EXPECT_EQ(k.rfind("access-control-", 0), std::string::npos) << k;
  EXPECT_EQ(r.headers["content-security-policy"].rfind("default-src 'self'; script-src 'self';", 0), 0u);
  EXPECT_EQ(r.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(r.headers["referrer-policy"], "no-referrer");
  EXPECT_EQ(r.headers["cache-control"], "no-store");
}

TEST_F(ServerTest, TheCookieFromTheTokenOpensEveryPathAndTheStream) {
  start();
  const std::string cookie = sign_in();
  Client c(port);
  Reply r = c.request("GET /api/tasks?x=1 HTTP/1.1\r\n" + host() + "Cookie: " + cookie + "\r\n\r\n");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "GET /api/tasks ");
  EXPECT_FALSE(r.closed);
  // Keep-alive: the same connection serves the next one.
  r = c.request("GET /two HTTP/1.1\r\n" + host() + "Cookie: " + cookie + "\r\n\r\n");
  EXPECT_EQ(r.body, "GET /two ");

  Client s(port);
  s.send("GET /api/events HTTP/1.1\r\n" + host() + "\r\n");
  EXPECT_EQ(s.receive().status, 401u);
  Client s2(port);
  s2.send("GET /api/events HTTP/1.1\r\n" + host() + "Cookie: " + cookie + "\r\n\r\n");
  const std::string got = s2.read_until("event: hello\ndata: {}\n\n", std::chrono::seconds(5));
  EXPECT_NE(got.find("HTTP/1.1 200 OK\r\n"), std::string::npos);
  EXPECT_NE(got.find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(got.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_NE(got.find("event: hello\ndata: {}\n\n"), std::string::npos);
  // The client goes away: the handler hears of it (no timer: the pending read ends).
  s2.close();
  const auto end = Clock::now() + std::chrono::seconds(5);
  while (handler.closed_streams == 0 && Clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(handler.closed_streams, 1);
}

TEST_F(ServerTest, AOneMegabyteHeaderIsRefusedWithoutStallingOthers) {
  start();
  const std::string cookie = sign_in();
  Client big(port);
  std::string req = "GET / HTTP/1.1\r\n" + host() + "X-Big: " + std::string(1 << 20, 'a') + "\r\n\r\n";
  // The server answers 431 and closes while the client is still sending: a write may fail.
  std::thread writer([&] {
    try {
      big.send(req);
    } catch (...) {
    }
  });
  Client other(port);
  EXPECT_EQ(other.request("GET /x HTTP/1.1\r\n" + host() + "Cookie: " + cookie + "\r\n\r\n").status, 200u);
  Reply r = big.receive();
  writer.join();
  EXPECT_EQ(r.status, 431u);
  EXPECT_TRUE(r.closed);
}

TEST_F(ServerTest, AMalformedRequestLineGets400AndAClose) {
  start();
  for (const char* line : {"GET\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1 junk\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
                           "GET /\x01 HTTP/1.1\r\n\r\n", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
                           "GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n"}) {
    Client c(port);
    Reply r = c.request(line);
    EXPECT_EQ(r.status, 400u) << line;
    EXPECT_TRUE(r.closed) << line;
  }
  EXPECT_EQ(handler.handled, 0);
}

TEST_F(ServerTest, AClientThatNeverFinishesItsRequestIsCutAtTheDeadlineWhileOthersAreServed) {
  HttpLimits limits;
  limits.request_deadline = std::chrono::seconds(2);
  start(limits);
  const std::string cookie = sign_in();
  Client slow(port);
  slow.send("GET / HTTP/1.1\r\n" + host());  // and never the rest
  Client other(port);
  EXPECT_EQ(other.request("GET /x HTTP/1.1\r\n" + host() + "Cookie: " + cookie + "\r\n\r\n").status, 200u);
  EXPECT_FALSE(slow.closed_within(std::chrono::milliseconds(0))) << "served while the slow one hangs";
  EXPECT_TRUE(slow.closed_within(std::chrono::seconds(10)));
  // A client that connects and says nothing has armed no timer: it is not cut at the deadline.
  Client silent(port);
  EXPECT_FALSE(silent.closed_within(std::chrono::milliseconds(2500)));
}

TEST_F(ServerTest, AtMostNConnectionsTheOldestIdleOneMakesRoom) {
  HttpLimits limits;
  limits.max_connections = 3;
  start(limits);
  const std::string cookie = sign_in();
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(std::make_unique<Client>(port));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Client fresh(port);
  EXPECT_EQ(fresh.request("GET /x HTTP/1.1\r\n" + host() + "Cookie: " + cookie + "\r\n\r\n").status, 200u);
  EXPECT_TRUE(idle[0]->closed_within(std::chrono::seconds(10)));
  EXPECT_LE(on_loop([this] { return server->connection_count(); }), 3u);
}

TEST_F(ServerTest, BodiesAreBounded) {
  HttpLimits limits;
  limits.max_body_bytes = 1000;
  start(limits);
  const std::string cookie = sign_in();
  Client c(port);
  Reply r = c.request("POST /api/x HTTP/1.1\r\n" + host() + "Cookie: " + cookie +
                      "\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'x'));
  EXPECT_EQ(r.status, 413u);
  EXPECT_TRUE(r.closed);
}

TEST_F(ServerTest, OnlyGetAndPostAreServed) {
  start();
  const std::string cookie = sign_in();
  Client c(port);
  Reply r = c.request("DELETE /api/x HTTP/1.1\r\n" + host() + "Cookie: " + cookie +
                      "\r\nOrigin: http://127.0.0.1:" + std::to_string(port) + "\r\n\r\n");
  EXPECT_EQ(r.status, 403u);  // no CSRF token: refused before the method is looked at
  EXPECT_EQ(handler.handled, 0);
}

}  // namespace
}  // namespace bb
