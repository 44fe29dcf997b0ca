// The dashboard's HTTP layer: a small HTTP/1.1 server (Boost.Beast) on the loopback interface,
// and the gate every request passes before anything answers it. It knows nothing of tasks: a
// DashboardHandler (dashboard_api.h) answers what the gate lets through.
//
// Costs nothing while nobody uses it: no timer runs unless a request is being read (the
// per-request deadline is armed when the request's first byte arrives and cancelled once it is
// read), an idle keep-alive connection waits in the reactor, and an event stream is written to
// only when the daemon has something to say.
//
// The gate (AccessGate), in order, for every request:
//   1. Host must be 127.0.0.1:<port> or localhost:<port> (no DNS rebinding), else 403;
//   2. Origin, when sent, must be http://127.0.0.1:<port> or http://localhost:<port>, else 403;
//   3. the session cookie (HttpOnly, SameSite=Strict) must name a live session; a page request
//      (GET, not /api/) carrying ?token=<one of the tokens dashboard.open minted> instead trades
//      the token for a new session: 303 to the same URL without the token, with the cookie.
//      Anything else is 401 with a body that says only how to get in;
//   4. a state-changing request (POST) must also carry Origin and the session's CSRF token in
//      the X-Backburner-CSRF header (the page reads it from /api/session), else 403.
// Every response carries a strict Content-Security-Policy, no CORS header and no version.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace bb::dashboard {

struct HttpLimits {
  std::size_t max_connections = 32;     // more: the oldest idle one is closed, else refused
  std::size_t max_header_bytes = 16 * 1024;  // request line + headers; more: 431
  std::size_t max_body_bytes = 16 * 1024;    // POST bodies; more: 413
  std::chrono::milliseconds request_deadline{10000};  // from a request's first byte to its end
  std::size_t max_sessions = 64;        // more: the oldest session ends
  std::size_t max_tokens = 16;          // unspent tokens; more: the oldest is forgotten
  std::chrono::seconds token_lifetime{600};  // an unspent token expires (checked when used)
  std::size_t max_stream_backlog = 8u * 1024 * 1024;  // an event stream this far behind is cut
};

// One request, as a handler sees it once the gate let it through.
struct Request {
  std::string method;  // GET, HEAD, POST
  std::string target;  // as sent
  std::string path;    // percent-decoded, without the query
  std::map<std::string, std::string> query;  // percent-decoded; the last of a repeated name wins
  std::string body;
  std::string range;   // the Range header, if any
  std::string csrf;    // the session's CSRF token (for the page to send back on changes)
};

// A slice of a file sent as the body (a download).
struct FileSlice {
  std::string path;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::optional<FileSlice> file;  // set: the body is this slice of a file instead
};

// An open Server-Sent Events response.
class EventStream {
 public:
  virtual ~EventStream() = default;
  // Queues one event (`data` must hold no newline: one line of JSON).
  virtual void send(std::string_view event, std::string_view data) = 0;
  virtual std::size_t backlog() const = 0;  // bytes queued, not yet written
};

class DashboardHandler {
 public:
  virtual ~DashboardHandler() = default;
  using Reply = std::function<void(Response)>;
  // Answers one request, now or later, by calling `reply` once (it tolerates a closed
  // connection).
  virtual void handle(const Request& request, Reply reply) = 0;
  // True if `request` opens an event stream (then open_stream is called instead of handle).
  virtual bool is_stream(const Request& request) const = 0;
  // The stream's headers are sent; the handler keeps `stream` until stream_closed.
  virtual void open_stream(const Request& request, std::shared_ptr<EventStream> stream) = 0;
  virtual void stream_closed(EventStream& stream) = 0;
};

// ---- the gate, without sockets (unit-testable)

// The headers of a request that the gate looks at.
struct GateInput {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  std::optional<std::string> host;
  std::optional<std::string> origin;
  std::optional<std::string> cookie;  // the Cookie header, whole
  std::optional<std::string> csrf;    // X-Backburner-CSRF
};

struct GateVerdict {
  enum class Kind { pass, redirect, reject } kind = Kind::reject;
  unsigned status = 401;
  std::string message;     // reject: the body (plain text)
  std::string location;    // redirect
  std::string set_cookie;  // redirect: the new session's cookie
  std::string csrf;        // pass: the session's CSRF token
};

class AccessGate {
 public:
  using Clock = std::chrono::steady_clock;
  explicit AccessGate(HttpLimits limits = {});

  void set_port(std::uint16_t port) { port_ = port; }
  std::uint16_t port() const { return port_; }
  // The cookie's name carries the port: cookies do not tell ports apart, so two daemons'
  // dashboards on one host must not overwrite each other's.
  std::string cookie_name() const;

  // A fresh one-time token (64 hex digits) valid for limits.token_lifetime.
  std::string mint_token(Clock::time_point now = Clock::now());
  GateVerdict check(const GateInput& in, Clock::time_point now = Clock::now());

  std::size_t session_count() const { return sessions_.size(); }
  std::size_t token_count() const { return tokens_.size(); }
  // Ends every session and forgets every token (the dashboard stopped).
  void reset();

 private:
  struct Session {
    std::string csrf;
    std::uint64_t order = 0;
  };
  bool allowed_authority(std::string_view host) const;
  std::optional<std::string> session_id(const std::optional<std::string>& cookie_header) const;

  HttpLimits limits_;
  std::uint16_t port_ = 0;
  std::uint64_t next_order_ = 0;
  std::map<std::string, Clock::time_point> tokens_;  // unspent token -> minted at
  std::map<std::string, Session> sessions_;          // cookie value -> session
};

// ---- helpers (unit-tested)

std::string percent_decode(std::string_view s, bool plus_is_space);
std::map<std::string, std::string> parse_query(std::string_view q);
// The value of one cookie in a Cookie header.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

// A Range header against a file of `size` bytes: nullopt = serve the whole file (no header,
// or one this server does not honour, such as several ranges); a Slice; or Unsatisfiable (416).
struct ByteRange {
  std::uint64_t first = 0, last = 0;  // inclusive
};
struct Unsatisfiable {};
std::variant<std::monostate, ByteRange, Unsatisfiable> parse_range(std::string_view header,
                                                                  std::uint64_t size);

// The headers every response carries (CSP and friends).
const std::vector<std::pair<std::string, std::string>>& security_headers();

// ---- the server

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, DashboardHandler& handler, HttpLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Listens on 127.0.0.1:`port` (0: the system picks one). Empty on success, else why not.
  // Nothing but the loopback address is ever bound.
  std::string listen(std::uint16_t port);
  bool listening() const;
  std::uint16_t port() const;
  // Stops accepting, closes every connection, ends every session.
  void stop();

  AccessGate& gate();
  std::size_t connection_count() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// The port a user's dashboard tries first: 20000 + uid mod 12000 (a Windows SID: its FNV-1a
// hash instead of the uid), so that two users' daemons on one machine do not meet, and below
// Linux's ephemeral range (32768 and up), so that outgoing connections do not take it.
std::uint16_t default_port_for_user(const std::string& user_id);

}  // namespace bb::dashboard
