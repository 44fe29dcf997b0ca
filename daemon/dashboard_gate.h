// The dashboard's access gate: every request passes it before anything answers (the order of
// the checks and why each is there: dashboard_http.h, docs/DASHBOARD.md). No sockets, no I/O:
// it sees a request's few headers and keeps the tokens and sessions.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "dashboard_limits.h"

namespace bb::dashboard {

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

}  // namespace bb::dashboard
