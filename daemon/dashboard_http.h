// The dashboard's HTTP layer: a small HTTP/1.1 server (Boost.Beast) on the loopback interface,
// and the gate every request passes before anything answers it. It knows nothing of tasks: a
// DashboardHandler (dashboard.h) answers what the gate lets through. The gate itself is
// dashboard_gate.h; the fields it reads are parsed by http_fields.h.
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
#include <vector>

#include "dashboard_gate.h"
#include "dashboard_limits.h"
#include "http_fields.h"

namespace boost::asio {
class io_context;
}

namespace bb::dashboard {

// One request, as a handler sees it once the gate let it through.
struct Request {
  std::string method;  // GET or POST (the server answers 405 to the rest)
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
