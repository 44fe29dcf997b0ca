#include "rpc_connection.h"

#include <boost/asio/post.hpp>

#include "os.h"

namespace bb {

namespace asio = boost::asio;

Connection::Connection(std::unique_ptr<ByteStream> stream, RpcDispatcher& dispatcher,
                       std::shared_ptr<Registry> registry)
    : stream_(std::move(stream)),
      dispatcher_(dispatcher),
      registry_(std::move(registry)),
      session_(std::make_shared<Session>()) {
  registry_->insert(this);
}

Connection::~Connection() {
  registry_->erase(this);
  detach();
  if (held_large_buffer_) {
    inbuf_ = std::string();
    os::release_free_memory();
  }
}

void Connection::start() {
  // Pushed messages (event subscriptions) go out like replies, in order with them.
  std::weak_ptr<Connection> weak = shared_from_this();
  session_->push = [weak](std::string line) {
    if (auto self = weak.lock()) self->send(std::move(line));
  };
  session_->queued = [weak]() -> std::size_t {
    auto self = weak.lock();
    return self ? self->backlog_ : 0;
  };
  read();
}

void Connection::close() {
  stream_->close();
  detach();
}

void Connection::detach() {
  if (detached_) return;
  detached_ = true;
  dispatcher_.session_closed(*session_);
}

void Connection::read() {
  if (reading_ || !stream_->is_open()) return;
  reading_ = true;
  stream_->async_read_some(chunk_.data(), chunk_.size(),
                           [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                             self->reading_ = false;
                             if (ec) return self->close();
                             self->take(std::string_view(self->chunk_.data(), n));
                             self->process();
                           });
}

// Buffers bytes read, dropping the rest of an over-long line.
void Connection::take(std::string_view data) {
  if (discarding_) {
    auto nl = data.find('\n');
    if (nl == std::string_view::npos) return;
    discarding_ = false;
    data.remove_prefix(nl + 1);
  }
  const std::size_t scanned = inbuf_.size();
  inbuf_.append(data);
  if (inbuf_.capacity() > kKeepBufferBytes) held_large_buffer_ = true;
  // A line still unterminated past the limit: answer once, drop it through its newline.
  if (inbuf_.find('\n', scanned) == std::string::npos &&
      inbuf_.size() - line_start_ > proto::kMaxLineBytes) {
    inbuf_.erase(line_start_);
    discarding_ = true;
    send(RpcDispatcher::too_large_response());
  }
}

void Connection::process() {
  int handled = 0;
  while (stream_->is_open() && backlog_ < kMaxBacklog) {
    auto nl = inbuf_.find('\n', line_start_);
    if (nl == std::string::npos) break;
    if (handled == kLinesPerTurn) {
      asio::post(stream_->executor(), [self = shared_from_this()] { self->process(); });
      return;
    }
    std::string_view line(inbuf_.data() + line_start_, nl - line_start_);
    line_start_ = nl + 1;
    ++handled;
    if (line.size() > proto::kMaxLineBytes)
      send(RpcDispatcher::too_large_response());
    else
      dispatch(line);
  }
  // Drop what has been handled; keep the unterminated rest.
  inbuf_.erase(0, line_start_);
  line_start_ = 0;
  if (held_large_buffer_ && inbuf_.size() < kKeepBufferBytes / 2) {
    // The huge request is handled: give its buffer (and what parsing it allocated) back.
    inbuf_.shrink_to_fit();
    held_large_buffer_ = false;
    os::release_free_memory();
  }
  if (backlog_ < kMaxBacklog && inbuf_.find('\n') == std::string::npos) read();
}

void Connection::dispatch(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return;  // blank line
  std::weak_ptr<Connection> weak = shared_from_this();
  dispatcher_.handle_line(session_, line, [weak](std::string response) {
    if (auto self = weak.lock()) self->send(std::move(response));
  });
}

void Connection::send(std::string line) {
  if (!stream_->is_open()) return;
  line += '\n';
  backlog_ += line.size();
  out_.push_back(std::move(line));
  if (out_.size() == 1) write();
}

void Connection::write() {
  stream_->async_write(out_.front().data(), out_.front().size(),
                       [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                         if (ec) return self->close();
                         self->backlog_ -= self->out_.front().size();
                         self->out_.pop_front();
                         if (!self->out_.empty()) self->write();
                         if (self->backlog_ < kMaxBacklog) self->process();
                       });
}

}  // namespace bb
