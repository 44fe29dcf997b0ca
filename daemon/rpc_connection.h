// One client connection of the daemon, whatever carries it (a Unix socket, a named pipe): frames
// request lines (newline-terminated, at most proto::kMaxLineBytes), hands each to the
// dispatcher, writes the replies in order, and keeps one client from starving the others or
// growing the daemon's memory. The platform's listener (rpc_listener_<platform>.cpp) accepts,
// checks the peer, and wraps the accepted stream in a ByteStream.
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include "rpc_dispatcher.h"

namespace bb {

// An accepted, connected byte stream. All calls on the daemon's one thread.
class ByteStream {
 public:
  using Handler = std::function<void(boost::system::error_code, std::size_t)>;
  virtual ~ByteStream() = default;
  virtual void async_read_some(char* data, std::size_t size, Handler handler) = 0;
  // Writes the whole buffer (or fails).
  virtual void async_write(const char* data, std::size_t size, Handler handler) = 0;
  virtual bool is_open() const = 0;
  virtual void close() = 0;
  virtual boost::asio::any_io_executor executor() = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Registry = std::set<Connection*>;
  // Connections co-own the registry: pending handlers may keep one alive until the io_context
  // itself is destroyed, after the server.
  Connection(std::unique_ptr<ByteStream> stream, RpcDispatcher& dispatcher,
             std::shared_ptr<Registry> registry);
  ~Connection();

  void start();
  // Closes the stream and ends the session's subscriptions. The server closes every connection
  // when it stops, before the dispatcher goes away; a connection that closes by itself does the
  // same in its destructor.
  void close();

  // Fairness and memory bounds: one connection handles at most kLinesPerTurn requests before
  // letting others run, and stops reading while more than kMaxBacklog bytes of its replies wait
  // to be written (a client that never reads cannot make the daemon buffer without end).
  static constexpr int kLinesPerTurn = 16;
  static constexpr std::size_t kMaxBacklog = 32u * 1024 * 1024;
  // A request buffer grown past this is given back once drained (a 16 MiB request must not
  // leave the daemon large).
  static constexpr std::size_t kKeepBufferBytes = 1024 * 1024;

 private:
  void detach();
  void read();
  void take(std::string_view data);
  void process();
  void dispatch(std::string_view line);
  void send(std::string line);
  void write();

  std::unique_ptr<ByteStream> stream_;
  RpcDispatcher& dispatcher_;
  std::shared_ptr<Registry> registry_;
  std::shared_ptr<Session> session_;
  std::array<char, 65536> chunk_{};
  std::string inbuf_;           // bytes read and not yet handled
  std::size_t line_start_ = 0;  // where the next unhandled line begins in inbuf_
  bool discarding_ = false;     // skipping the rest of an over-long line
  bool reading_ = false;
  bool held_large_buffer_ = false;
  bool detached_ = false;
  std::deque<std::string> out_;
  std::size_t backlog_ = 0;  // bytes in out_
};

}  // namespace bb
