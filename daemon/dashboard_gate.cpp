#include "dashboard_gate.h"

#include <algorithm>
#include <span>
#include <vector>

#include "http_fields.h"
#include "os.h"

namespace bb::dashboard {

namespace {

std::string hex(std::span<const unsigned char> bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  os::random_bytes(buf);
  return hex(buf);
}

// Compares without stopping at the first difference.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

AccessGate::AccessGate(HttpLimits limits) : limits_(limits) {}

std::string AccessGate::cookie_name() const { return "bb_dashboard_" + std::to_string(port_); }

std::string AccessGate::mint_token(Clock::time_point now) {
  // Forget expired tokens, then the oldest while there are too many.
  for (auto it = tokens_.begin(); it != tokens_.end();)
    it = now - it->second > limits_.token_lifetime ? tokens_.erase(it) : std::next(it);
  while (tokens_.size() >= limits_.max_tokens) {
    auto oldest = std::min_element(tokens_.begin(), tokens_.end(),
                                   [](auto& a, auto& b) { return a.second < b.second; });
    tokens_.erase(oldest);
  }
  std::string t = random_hex(32);
  tokens_[t] = now;
  return t;
}

void AccessGate::reset() {
  tokens_.clear();
  sessions_.clear();
}

bool AccessGate::allowed_authority(std::string_view host) const {
  const std::string port = ":" + std::to_string(port_);
  return host == "127.0.0.1" + port || host == "localhost" + port;
}

std::optional<std::string> AccessGate::session_id(
    const std::optional<std::string>& cookie_header) const {
  if (!cookie_header) return std::nullopt;
  auto v = cookie_value(*cookie_header, cookie_name());
  if (!v || !sessions_.count(*v)) return std::nullopt;
  return v;
}

GateVerdict AccessGate::check(const GateInput& in, Clock::time_point now) {
  GateVerdict v;
  auto reject = [&](unsigned status, std::string message) {
    v.kind = GateVerdict::Kind::reject;
    v.status = status;
    v.message = std::move(message);
    return v;
  };
  if (!in.host || !allowed_authority(*in.host))
    return reject(403, "403 Forbidden: this dashboard answers only as http://127.0.0.1:" +
                           std::to_string(port_) + "/ or http://localhost:" +
                           std::to_string(port_) + "/\n");
  if (in.origin && !allowed_authority(in.origin->rfind("http://", 0) == 0
                                          ? std::string_view(*in.origin).substr(7)
                                          : std::string_view()))
    return reject(403, "403 Forbidden: requests from other sites are refused\n");

  const auto sid = session_id(in.cookie);
  const bool page = in.method == "GET" && in.path.rfind("/api/", 0) != 0;
  if (auto t = in.query.find("token"); t != in.query.end() && page) {
    // Back to the same place without the token, so it stays out of the history and the page.
    std::string location = in.path.rfind("//", 0) == 0 || in.path.empty() ? "/" : in.path;
    std::string rest;
    for (const auto& [k, val] : in.query)
      if (k != "token") rest += (rest.empty() ? "?" : "&") + k + "=" + val;
    v.location = location + rest;
    auto minted = tokens_.find(t->second);
    if (minted != tokens_.end() && now - minted->second <= limits_.token_lifetime) {
      tokens_.erase(minted);
      while (sessions_.size() >= limits_.max_sessions) {
        auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](auto& a, auto& b) {
          return a.second.order < b.second.order;
        });
        sessions_.erase(oldest);
      }
      const std::string id = random_hex(32);
      sessions_[id] = Session{random_hex(16), next_order_++};
      v.kind = GateVerdict::Kind::redirect;
      v.status = 303;
      v.set_cookie = cookie_name() + "=" + id + "; Path=/; HttpOnly; SameSite=Strict";
      return v;
    }
    if (minted != tokens_.end()) tokens_.erase(minted);
    if (sid) {  // an old link opened again in a browser that is already in
      v.kind = GateVerdict::Kind::redirect;
      v.status = 303;
      return v;
    }
    return reject(401,
                  "401 Unauthorized: this link was used already or has expired. Run "
                  "`backburner dashboard` for a new one.\n");
  }
  if (!sid)
    return reject(401,
                  "401 Unauthorized: open the link that `backburner dashboard` prints.\n");
  const Session& s = sessions_.at(*sid);
  if (in.method != "GET") {
    if (!in.origin)
      return reject(403, "403 Forbidden: a change must come from the dashboard's page\n");
    if (!in.csrf || !same_secret(*in.csrf, s.csrf))
      return reject(403, "403 Forbidden: a change needs the page's CSRF token\n");
  }
  v.kind = GateVerdict::Kind::pass;
  v.status = 200;
  v.csrf = s.csrf;
  return v;
}

}  // namespace bb::dashboard
