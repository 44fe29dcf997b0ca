// The bounds of the dashboard's HTTP server and gate (docs/DASHBOARD.md says why each).
#pragma once

#include <chrono>
#include <cstddef>

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

}  // namespace bb::dashboard
