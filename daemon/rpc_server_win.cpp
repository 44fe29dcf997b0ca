// The daemon's endpoint on Windows: a named pipe, one instance per client, served with Asio's
// overlapped stream handles on the daemon's one thread. One instance always waits for the next
// client; each accepted client is checked (it must run as the daemon's user) before a byte of it
// is read. The pipe's DACL admits only this user and SYSTEM, and the first instance is created
// with FILE_FLAG_FIRST_PIPE_INSTANCE, so a name squatted by someone else is refused rather than
// shared (wine enforces neither, which is why the client check does not rely on them).
#include "rpc_server.h"

#include <windows.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/windows/overlapped_ptr.hpp>
#include <boost/asio/windows/stream_handle.hpp>
#include <boost/asio/write.hpp>

#include "pipe_identity_win.h"
#include "private_security_win.h"
#include "quiet_timer.h"
#include "rpc_connection.h"
#include "utf8_path.h"
#include "win_text_win.h"

namespace bb {

namespace asio = boost::asio;

namespace {

constexpr DWORD kPipeBufferBytes = 64 * 1024;

class PipeStream final : public ByteStream {
 public:
  explicit PipeStream(asio::windows::stream_handle h) : pipe_(std::move(h)) {}
  void async_read_some(char* data, std::size_t size, Handler handler) override {
    pipe_.async_read_some(asio::buffer(data, size), std::move(handler));
  }
  void async_write(const char* data, std::size_t size, Handler handler) override {
    asio::async_write(pipe_, asio::buffer(data, size), std::move(handler));
  }
  bool is_open() const override { return pipe_.is_open(); }
  void close() override {
    boost::system::error_code ec;
    pipe_.close(ec);
  }
  asio::any_io_executor executor() override { return pipe_.get_executor(); }

 private:
  asio::windows::stream_handle pipe_;
};

bool same_user_client(HANDLE pipe) {
  ULONG pid = 0;
  if (!::GetNamedPipeClientProcessId(pipe, &pid)) return false;
  const auto sid = win::process_user_sid(pid);
  return sid && *sid == win::own_user_sid();
}

}  // namespace

struct RpcServer::Impl {
  asio::io_context& io;
  RpcDispatcher& dispatcher;
  std::shared_ptr<Connection::Registry> connections = std::make_shared<Connection::Registry>();
  std::uint64_t total = 0;
  QuietTimer backoff;
  std::wstring name;
  std::unique_ptr<win::PrivateSecurity> security;
  // The instance waiting for the next client (null while none is).
  std::shared_ptr<asio::windows::stream_handle> listening;
  bool first_instance = true;
  bool stopped = false;

  Impl(asio::io_context& i, RpcDispatcher& d) : io(i), dispatcher(d), backoff(i) {}

  // A new instance of the pipe, or an error.
  std::variant<HANDLE, DWORD> create_instance() {
    DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;
    if (first_instance) open_mode |= FILE_FLAG_FIRST_PIPE_INSTANCE;
    const HANDLE h = ::CreateNamedPipeW(
        name.c_str(), open_mode,
        PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
        PIPE_UNLIMITED_INSTANCES, kPipeBufferBytes, kPipeBufferBytes, 0,
        security ? security->attributes() : nullptr);
    if (h == INVALID_HANDLE_VALUE) return ::GetLastError();
    first_instance = false;
    return h;
  }

  void retry_soon() {
    backoff.expires_after(std::chrono::milliseconds(100));
    backoff.async_wait([this](boost::system::error_code e) {
      if (!e && !stopped) accept();
    });
  }

  // Waits for the next client on `instance`, or on a new instance when none is given.
  void accept(HANDLE instance = INVALID_HANDLE_VALUE) {
    if (stopped) return;
    if (instance == INVALID_HANDLE_VALUE) {
      auto created = create_instance();
      if (std::holds_alternative<DWORD>(created)) {
        // Out of handles or memory, say: the clients wait in WaitNamedPipe meanwhile.
        retry_soon();
        return;
      }
      instance = std::get<HANDLE>(created);
    }
    auto pipe = std::make_shared<asio::windows::stream_handle>(io, instance);
    listening = pipe;
    asio::windows::overlapped_ptr op(
        pipe->get_executor(), [this, pipe](boost::system::error_code ec, std::size_t) {
          on_connected(pipe, ec);
        });
    const BOOL ok = ::ConnectNamedPipe(pipe->native_handle(), op.get());
    const DWORD err = ::GetLastError();
    if (!ok && err == ERROR_PIPE_CONNECTED) {
      op.complete(boost::system::error_code(), 0);  // a client came between create and connect
    } else if (!ok && err != ERROR_IO_PENDING) {
      op.complete(boost::system::error_code(static_cast<int>(err),
                                            boost::asio::error::get_system_category()),
                  0);
    } else {
      op.release();  // completes through the io_context
    }
  }

  void on_connected(const std::shared_ptr<asio::windows::stream_handle>& pipe,
                    boost::system::error_code ec) {
    if (listening == pipe) listening.reset();
    if (stopped || ec == asio::error::operation_aborted) return;
    if (!ec && pipe->is_open()) {
      // Only the daemon's own user may talk to it, whatever the pipe's DACL says.
      if (same_user_client(pipe->native_handle())) {
        ++total;
        std::make_shared<Connection>(std::make_unique<PipeStream>(std::move(*pipe)), dispatcher,
                                     connections)
            ->start();
      } else {
        boost::system::error_code ignored;
        pipe->close(ignored);
      }
    }
    accept();
  }
};

RpcServer::RpcServer(asio::io_context& io, RpcDispatcher& dispatcher)
    : impl_(std::make_unique<Impl>(io, dispatcher)) {}

RpcServer::~RpcServer() { stop(); }

std::string RpcServer::listen(const std::filesystem::path& endpoint) {
  const std::string name = path_utf8(endpoint);
  impl_->name = endpoint.native();
  for (auto& c : impl_->name) c = c == L'/' ? L'\\' : c;
  if (impl_->name.rfind(L"\\\\.\\pipe\\", 0) != 0)
    return "cannot listen on " + name + ": on Windows the endpoint is a named pipe (\\\\.\\pipe\\NAME)";
  impl_->security = win::PrivateSecurity::make(win::PrivateFor::pipe);
  if (!impl_->security)
    return "cannot listen on " + name + ": cannot build its access control list: " +
           win::last_error_text();
  // The first instance is made here, so that a refusal is reported before we say we serve.
  auto created = impl_->create_instance();
  if (auto* err = std::get_if<DWORD>(&created)) {
    if (*err == ERROR_ACCESS_DENIED || *err == ERROR_PIPE_BUSY)
      return "cannot listen on " + name + ": another process already serves a pipe of that name";
    return "cannot listen on " + name + ": " + win::error_text(*err);
  }
  // It waits for the first client: the name is never free for someone else to take.
  impl_->accept(std::get<HANDLE>(created));
  return {};
}

bool RpcServer::activated() const { return false; }

void RpcServer::stop() {
  impl_->stopped = true;
  impl_->backoff.cancel();
  if (impl_->listening) {
    boost::system::error_code ec;
    impl_->listening->close(ec);
    impl_->listening.reset();
  }
  for (auto* c : Connection::Registry(*impl_->connections)) c->close();
}

std::uint64_t RpcServer::connection_count() const { return impl_->connections->size(); }
std::uint64_t RpcServer::total_connections() const { return impl_->total; }

}  // namespace bb
