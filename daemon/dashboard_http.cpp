#include "dashboard_http.h"

#include <algorithm>
#include <array>
#include <deque>
#include <fstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include "dashboard_listen.h"
#include "quiet_timer.h"

namespace bb::dashboard {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string reason(unsigned status) {
  auto r = http::obsolete_reason(http::int_to_status(status));
  return r.empty() ? "Status" : std::string(r);
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& security_headers() {
  static const std::vector<std::pair<std::string, std::string>> h = {
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Cache-Control", "no-store"},
  };
  return h;
}

std::uint16_t default_port_for_user(const std::string& user_id) {
  std::uint64_t n = 0;
  bool numeric = !user_id.empty() && user_id.size() < 12;
  for (char c : user_id) numeric = numeric && c >= '0' && c <= '9';
  if (numeric) {
    n = std::stoull(user_id);
  } else {
    n = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : user_id) n = (n ^ c) * 1099511628211ull;
  }
  return static_cast<std::uint16_t>(20000 + n % 12000);
}

// ---- the server

struct Connection;

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context& i, DashboardHandler& h, HttpLimits l)
      : io(i), handler(h), limits(l), gate(l), acceptor(i), backoff(i) {}

  void accept();
  void admit(tcp::socket socket);
  void forget(std::uint64_t id) { connections.erase(id); }

  asio::io_context& io;
  DashboardHandler& handler;
  HttpLimits limits;
  AccessGate gate;
  tcp::acceptor acceptor;
  QuietTimer backoff;  // armed only after an accept failed (out of descriptors)
  std::uint64_t next_id = 0;
  std::map<std::uint64_t, std::weak_ptr<Connection>> connections;  // by age
};

struct Connection final : EventStream, std::enable_shared_from_this<Connection> {
  enum class State { idle, reading, handling, writing, streaming, closed };

  Connection(std::shared_ptr<HttpServer::Impl> srv, tcp::socket s, std::uint64_t connection_id)
      : server(srv), socket(std::move(s)), deadline(srv->io), id(connection_id),
        limits(srv->limits) {}

  void await_request() {
    state = State::idle;
    if (buffer.size() > 0) return read_request();  // a pipelined request is already here
    // No timer while nothing is asked: wait for the first byte of the next request.
    socket.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (ec || self->state == State::closed) return self->close();
      self->read_request();
    });
  }

  void read_request() {
    state = State::reading;
    parser.emplace();
    parser->header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser->body_limit(limits.max_body_bytes);
    deadline.expires_after(limits.request_deadline);
    deadline.async_wait([weak = weak_from_this()](beast::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->close();  // too slow: the request never came whole
    });
    http::async_read(socket, buffer, *parser,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->disarm_deadline();
                       self->on_read(ec);
                     });
  }

  // A cancelled QuietTimer leaves nothing to wake the daemon later.
  void disarm_deadline() { deadline.cancel(); }

  void on_read(beast::error_code ec) {
    if (state == State::closed) return;
    if (ec) {
      if (ec == http::error::header_limit)
        return refuse(431, "431 Request Header Fields Too Large\n");
      if (ec == http::error::body_limit) return refuse(413, "413 Payload Too Large\n");
      if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message)
        return refuse(400, "400 Bad Request\n");
      return close();  // closed, reset, or timed out
    }
    auto& req = parser->get();
    const std::string target(req.target());
    if (target.empty() || target[0] != '/') return refuse(400, "400 Bad Request\n");
    keep_alive = req.keep_alive();
    const auto q = target.find('?');
    Request r;
    r.method = std::string(req.method_string());
    r.target = target;
    r.path = percent_decode(std::string_view(target).substr(0, q), false);
    if (q != std::string::npos) r.query = parse_query(std::string_view(target).substr(q + 1));
    r.body = std::move(req.body());
    if (auto it = req.find(http::field::range); it != req.end()) r.range = std::string(it->value());

    GateInput g;
    g.method = r.method;
    g.path = r.path;
    g.query = r.query;
    auto header = [&](http::field f) -> std::optional<std::string> {
      auto it = req.find(f);
      if (it == req.end()) return std::nullopt;
      return std::string(it->value());
    };
    g.host = header(http::field::host);
    g.origin = header(http::field::origin);
    g.cookie = header(http::field::cookie);
    if (auto it = req.find("X-Backburner-CSRF"); it != req.end()) g.csrf = std::string(it->value());
    auto srv = server.lock();
    if (!srv) return close();
    const GateVerdict v = srv->gate.check(g);
    if (v.kind == GateVerdict::Kind::reject) {
      Response res;
      res.status = v.status;
      res.content_type = "text/plain; charset=utf-8";
      res.body = v.message;
      return respond(std::move(res));
    }
    if (v.kind == GateVerdict::Kind::redirect) {
      Response res;
      res.status = v.status;
      res.content_type = "text/plain; charset=utf-8";
      res.headers.emplace_back("Location", v.location);
      if (!v.set_cookie.empty()) res.headers.emplace_back("Set-Cookie", v.set_cookie);
      return respond(std::move(res));
    }
    if (r.method != "GET" && r.method != "POST") {
      Response res;
      res.status = 405;
      res.content_type = "text/plain; charset=utf-8";
      res.body = "405 Method Not Allowed\n";
      res.headers.emplace_back("Allow", "GET, POST");
      return respond(std::move(res));
    }
    r.csrf = v.csrf;
    if (srv->handler.is_stream(r)) return open_stream(srv, r);
    state = State::handling;
    // The reply holds the connection: nothing else does while a handler works (a grep on a
    // worker, a cancel waiting for the tree to go).
    srv->handler.handle(r, [self = shared_from_this()](Response res) {
      if (self->state == State::handling) self->respond(std::move(res));
    });
  }

  // An error before or instead of a request: answer it and close.
  void refuse(unsigned status, std::string body) {
    keep_alive = false;
    linger = true;
    Response res;
    res.status = status;
    res.content_type = "text/plain; charset=utf-8";
    res.body = std::move(body);
    respond(std::move(res));
  }

  std::string head(unsigned status, const std::vector<std::pair<std::string, std::string>>& extra,
                   std::string_view content_type, std::optional<std::uint64_t> length,
                   bool chunked) const {
    std::string h = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
    auto add = [&](std::string_view k, std::string_view val) {
      h.append(k).append(": ").append(val).append("\r\n");
    };
    for (const auto& [k, val] : security_headers()) add(k, val);
    for (const auto& [k, val] : extra) add(k, val);
    if (!content_type.empty()) add("Content-Type", content_type);
    if (length) add("Content-Length", std::to_string(*length));
    if (chunked) add("Transfer-Encoding", "chunked");
    add("Connection", keep_alive ? "keep-alive" : "close");
    h += "\r\n";
    return h;
  }

  void respond(Response res) {
    state = State::writing;
    if (res.file) {
      file.emplace(res.file->path, std::ios::binary);
      if (!*file) {
        file.reset();
        res = Response{500, "text/plain; charset=utf-8", "500: the log cannot be read\n", {}, {}};
      } else {
        file->seekg(static_cast<std::streamoff>(res.file->offset));
        file_left = res.file->length;
        out_head = head(res.status, res.headers, res.content_type, file_left, false);
        asio::async_write(socket, asio::buffer(out_head),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (ec) return self->close();
                            self->pump_file();
                          });
        return;
      }
    }
    out_head = head(res.status, res.headers, res.content_type, res.body.size(), false);
    out_body = std::move(res.body);
    std::array<asio::const_buffer, 2> bufs{asio::buffer(out_head), asio::buffer(out_body)};
    asio::async_write(socket, bufs, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->written(ec);
    });
  }

  void pump_file() {
    if (file_left == 0 || !*file) {
      file.reset();
      return written({});
    }
    file_chunk.resize(static_cast<std::size_t>(std::min<std::uint64_t>(file_left, 64 * 1024)));
    file->read(file_chunk.data(), static_cast<std::streamsize>(file_chunk.size()));
    const auto got = static_cast<std::size_t>(file->gcount());
    if (got == 0) return close();  // the file shrank (pruned meanwhile): cut the response
    file_chunk.resize(got);
    file_left -= got;
    asio::async_write(socket, asio::buffer(file_chunk),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        self->pump_file();
                      });
  }

  void written(beast::error_code ec) {
    out_body.clear();
    out_body.shrink_to_fit();
    if (!ec && linger) return linger_close();
    if (ec || !keep_alive) return close();
    await_request();
  }

  // After refusing a request the client may still be sending it (a 1 MB header): closing with
  // unread bytes would reset the connection and lose the answer. So: no more writes, read and
  // drop what comes, up to 4 MiB and within the request deadline, then close.
  void linger_close() {
    state = State::reading;
    beast::error_code ec;
    socket.shutdown(tcp::socket::shutdown_send, ec);
    deadline.expires_after(limits.request_deadline);
    deadline.async_wait([weak = weak_from_this()](beast::error_code e) {
      if (e) return;
      if (auto self = weak.lock()) self->close();
    });
    drain();
  }

  void drain() {
    socket.async_read_some(asio::buffer(sink),
                           [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                             self->drained += n;
                             if (ec || self->drained > 4u * 1024 * 1024) return self->close();
                             self->drain();
                           });
  }

  // ---- event streams

  void open_stream(const std::shared_ptr<HttpServer::Impl>& srv, const Request& r) {
    state = State::streaming;
    keep_alive = false;
    queue.push_back(head(200, {{"X-Accel-Buffering", "no"}}, "text/event-stream", std::nullopt,
                         true));
    queued += queue.back().size();
    write_next();
    // Reads nothing from the client; a read that ends says it went away (no timer needed).
    socket.async_read_some(asio::buffer(sink), [self = shared_from_this()](beast::error_code,
                                                                           std::size_t) {
      self->close();
    });
    srv->handler.open_stream(r, shared_from_this());
  }

  void send(std::string_view event, std::string_view data) override {
    if (state != State::streaming) return;
    std::string frame;
    if (!event.empty()) frame.append("event: ").append(event).append("\n");
    frame.append("data: ").append(data).append("\n\n");
    char size[20];
    const int n = std::snprintf(size, sizeof size, "%zx\r\n", frame.size());
    std::string chunk(size, static_cast<std::size_t>(n));
    chunk += frame;
    chunk += "\r\n";
    queued += chunk.size();
    queue.push_back(std::move(chunk));
    if (queued > limits.max_stream_backlog) return close();
    if (!writing) write_next();
  }

  std::size_t backlog() const override { return queued; }

  void write_next() {
    if (queue.empty() || state == State::closed) {
      writing = false;
      return;
    }
    writing = true;
    asio::async_write(socket, asio::buffer(queue.front()),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        self->queued -= self->queue.front().size();
                        self->queue.pop_front();
                        self->write_next();
                      });
  }

  void close() {
    if (state == State::closed) return;
    const bool was_stream = state == State::streaming;
    state = State::closed;
    beast::error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    disarm_deadline();
    file.reset();
    auto srv = server.lock();
    if (!srv) return;
    srv->forget(id);
    // Told later, never from inside a send (the event hub may be iterating its subscribers).
    if (was_stream)
      asio::post(srv->io, [weak = std::weak_ptr<HttpServer::Impl>(srv),
                           self = shared_from_this()] {
        if (auto s = weak.lock()) s->handler.stream_closed(*self);
      });
  }

  std::weak_ptr<HttpServer::Impl> server;
  tcp::socket socket;
  QuietTimer deadline;  // armed only while a request is being read
  std::uint64_t id;
  HttpLimits limits;
  State state = State::idle;
  beast::flat_buffer buffer;
  std::optional<http::request_parser<http::string_body>> parser;
  bool keep_alive = true;
  bool linger = false;
  std::uint64_t drained = 0;
  std::string out_head, out_body;
  std::optional<std::ifstream> file;
  std::uint64_t file_left = 0;
  std::string file_chunk;
  std::deque<std::string> queue;  // event stream chunks
  std::size_t queued = 0;
  bool writing = false;
  std::array<char, 16 * 1024> sink{};
};

void HttpServer::Impl::accept() {
  acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors, most likely: try again in a moment rather than spin.
      self->backoff.expires_after(std::chrono::milliseconds(100));
      self->backoff.async_wait([self](beast::error_code e) {
        if (!e && self->acceptor.is_open()) self->accept();
      });
      return;
    }
    self->admit(std::move(socket));
    self->accept();
  });
}

void HttpServer::Impl::admit(tcp::socket socket) {
  // Another user's process gets not a word, and takes no slot (as on the daemon's socket).
  if (!peer_is_this_user(socket)) {
    beast::error_code ec;
    socket.close(ec);
    return;
  }
  // Drop what is gone, then make room: the oldest connection that waits for a request (a
  // browser's spare keep-alive, or a client that connected and said nothing) goes first.
  for (auto it = connections.begin(); it != connections.end();)
    it = it->second.expired() ? connections.erase(it) : std::next(it);
  if (connections.size() >= limits.max_connections) {
    for (auto& [cid, weak] : connections) {
      auto c = weak.lock();
      if (c && c->state == Connection::State::idle) {
        c->close();
        break;
      }
    }
  }
  if (connections.size() >= limits.max_connections) {
    beast::error_code ec;
    socket.close(ec);  // every slot is busy with a request or a stream
    return;
  }
  auto c = std::make_shared<Connection>(shared_from_this(), std::move(socket), next_id++);
  connections.emplace(c->id, c);
  c->await_request();
}

HttpServer::HttpServer(asio::io_context& io, DashboardHandler& handler, HttpLimits limits)
    : impl_(std::make_shared<Impl>(io, handler, limits)) {}

HttpServer::~HttpServer() { stop(); }

std::string HttpServer::listen(std::uint16_t port) {
  if (impl_->acceptor.is_open()) return "";
  // The loopback address, and nothing else, ever.
  const tcp::endpoint ep(asio::ip::address_v4::loopback(), port);
  beast::error_code ec;
  tcp::acceptor a(impl_->io);
  a.open(ep.protocol(), ec);
  if (!ec) claim_port(a, ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return "cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + ec.message();
  impl_->acceptor = std::move(a);
  impl_->gate.set_port(impl_->acceptor.local_endpoint().port());
  impl_->accept();
  return "";
}

bool HttpServer::listening() const { return impl_->acceptor.is_open(); }

std::uint16_t HttpServer::port() const { return impl_->gate.port(); }

void HttpServer::stop() {
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->backoff.cancel();
  auto conns = impl_->connections;
  for (auto& [cid, weak] : conns)
    if (auto c = weak.lock()) c->close();
  impl_->connections.clear();
  impl_->gate.reset();
}

AccessGate& HttpServer::gate() { return impl_->gate; }

std::size_t HttpServer::connection_count() const {
  std::size_t n = 0;
  for (auto& [cid, weak] : impl_->connections) n += weak.expired() ? 0 : 1;
  return n;
}

}  // namespace bb::dashboard
