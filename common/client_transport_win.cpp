// The client's end of the daemon's named pipe. Every read and write is overlapped and waits on
// two events, its own and the connection's interrupt, so a call can time out or be interrupted
// from another thread without a race: an interrupt that comes before the I/O starts is seen
// when it starts.
#include "client_transport.h"

#include <windows.h>

#include <chrono>

#include "pipe_identity_win.h"
#include "utf8_path.h"
#include "win_handle_win.h"
#include "win_text_win.h"

namespace bb {

namespace {

using Clock = std::chrono::steady_clock;

// Set once by fire(); shared by the transport and every interrupt handle it gave out.
class PipeInterrupt final : public ConnectionInterrupt {
 public:
  PipeInterrupt() : event_(::CreateEventW(nullptr, TRUE, FALSE, nullptr)) {}
  void fire() override { ::SetEvent(event_.get()); }
  HANDLE event() const { return event_.get(); }

 private:
  win::Handle event_;
};

class PipeTransport final : public ClientTransport {
 public:
  explicit PipeTransport(win::Handle pipe)
      : pipe_(std::move(pipe)),
        io_event_(::CreateEventW(nullptr, TRUE, FALSE, nullptr)),
        interrupt_(std::make_shared<PipeInterrupt>()) {}

  bool write_all(std::string_view data, std::string& error) override {
    while (!data.empty()) {
      DWORD n = 0;
      const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(data.size(), 1u << 20));
      const auto r = overlapped(
          [&](OVERLAPPED* ov) { return ::WriteFile(pipe_.get(), data.data(), chunk, nullptr, ov); },
          std::nullopt, n, error);
      if (r != Read::data) {
        if (r == Read::closed) error = "the daemon closed the connection";
        return false;
      }
      data.remove_prefix(n);
    }
    return true;
  }

  Read read_some(std::string& into, std::optional<std::chrono::milliseconds> timeout,
                 std::string& error) override {
    char buf[65536];
    DWORD n = 0;
    const auto r = overlapped(
        [&](OVERLAPPED* ov) { return ::ReadFile(pipe_.get(), buf, sizeof buf, nullptr, ov); },
        timeout, n, error);
    if (r == Read::data) {
      if (n == 0) return Read::closed;
      into.append(buf, n);
    }
    return r;
  }

  bool peer_closed() override {
    DWORD available = 0;
    // Broken (the daemon closed it) or holding bytes nobody asked for: not fit for reuse.
    if (!::PeekNamedPipe(pipe_.get(), nullptr, 0, nullptr, &available, nullptr)) return true;
    return available > 0 || ::WaitForSingleObject(interrupt_->event(), 0) == WAIT_OBJECT_0;
  }

  std::shared_ptr<ConnectionInterrupt> interrupt_handle() override { return interrupt_; }

 private:
  // Starts one overlapped operation and waits for it, the interrupt, or the timeout. data: it
  // completed (n bytes); closed: the pipe is broken; timeout; failed: error says why.
  template <typename Start>
  Read overlapped(Start start, std::optional<std::chrono::milliseconds> timeout, DWORD& n,
                  std::string& error) {
    if (::WaitForSingleObject(interrupt_->event(), 0) == WAIT_OBJECT_0) return Read::closed;
    OVERLAPPED ov{};
    ::ResetEvent(io_event_.get());
    ov.hEvent = io_event_.get();
    if (!start(&ov)) {
      const DWORD e = ::GetLastError();
      if (e == ERROR_BROKEN_PIPE || e == ERROR_NO_DATA || e == ERROR_PIPE_NOT_CONNECTED)
        return Read::closed;
      if (e != ERROR_IO_PENDING) {
        error = win::error_text(e);
        return Read::failed;
      }
      HANDLE waits[2] = {io_event_.get(), interrupt_->event()};
      const DWORD ms = timeout ? static_cast<DWORD>(std::max<long long>(0, timeout->count()))
                               : INFINITE;
      const DWORD w = ::WaitForMultipleObjects(2, waits, FALSE, ms);
      if (w != WAIT_OBJECT_0) {
        // Timed out or interrupted: cancel, and wait for the cancellation to land (the buffer
        // and the OVERLAPPED must outlive the operation).
        ::CancelIoEx(pipe_.get(), &ov);
        DWORD ignored = 0;
        if (::GetOverlappedResult(pipe_.get(), &ov, &ignored, TRUE)) {
          n = ignored;  // it completed after all
          return Read::data;
        }
        return w == WAIT_TIMEOUT ? Read::timeout : Read::closed;
      }
    }
    if (!::GetOverlappedResult(pipe_.get(), &ov, &n, FALSE)) {
      const DWORD e = ::GetLastError();
      if (e == ERROR_BROKEN_PIPE || e == ERROR_NO_DATA || e == ERROR_PIPE_NOT_CONNECTED ||
          e == ERROR_OPERATION_ABORTED)
        return Read::closed;
      error = win::error_text(e);
      return Read::failed;
    }
    return Read::data;
  }

  win::Handle pipe_;
  win::Handle io_event_;
  std::shared_ptr<PipeInterrupt> interrupt_;
};

bool is_pipe_name(const std::filesystem::path& p) {
  const std::wstring& n = p.native();
  return n.size() > 9 && (n.compare(0, 9, L"\\\\.\\pipe\\") == 0 || n.compare(0, 9, L"//./pipe/") == 0);
}

}  // namespace

std::variant<std::unique_ptr<ClientTransport>, std::string> connect_client_transport(
    const std::filesystem::path& endpoint, ConnectFailure* why) {
  ConnectFailure ignored;
  if (why == nullptr) why = &ignored;
  *why = ConnectFailure::other;
  const std::string name = path_utf8(endpoint);
  if (!is_pipe_name(endpoint))
    return "cannot connect to " + name + ": on Windows the daemon's endpoint is a named pipe "
           "(\\\\.\\pipe\\NAME); set BACKBURNER_SOCKET to one, or unset it";
  // SECURITY_IDENTIFICATION: the server may learn who we are, never act as us.
  const DWORD flags = FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION;
  win::Handle pipe;
  const auto give_up = Clock::now() + std::chrono::seconds(5);
  for (;;) {
    pipe.reset(::CreateFileW(endpoint.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                             OPEN_EXISTING, flags, nullptr));
    if (pipe) break;
    const DWORD e = ::GetLastError();
    if (e == ERROR_PIPE_BUSY && Clock::now() < give_up) {
      // Every instance is taken this instant; the daemon makes a new one after each accept.
      ::WaitNamedPipeW(endpoint.c_str(), 200);
      continue;
    }
    if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND || e == ERROR_PIPE_BUSY)
      *why = ConnectFailure::nothing_listens;
    if (e == ERROR_ACCESS_DENIED) *why = ConnectFailure::unsafe;
    return "cannot connect to " + name + ": " + win::error_text(e);
  }
  // The pipe's name is public: whoever created it first serves it. Talk only to a server
  // process that runs as this user.
  ULONG server_pid = 0;
  if (!::GetNamedPipeServerProcessId(pipe.get(), &server_pid)) {
    *why = ConnectFailure::unsafe;
    return "refusing to talk to the process serving " + name + ": cannot tell who it is (" +
           win::last_error_text() + ")";
  }
  const auto sid = win::process_user_sid(server_pid);
  if (!sid || *sid != win::own_user_sid()) {
    *why = ConnectFailure::unsafe;
    return "refusing to talk to the process serving " + name + " (pid " +
           std::to_string(server_pid) + "): it runs as " +
           (sid ? "user " + *sid : std::string("another user")) + ", not as you (" +
           win::own_user_sid() + "); set BACKBURNER_SOCKET to a pipe name of your own";
  }
  return std::unique_ptr<ClientTransport>(std::make_unique<PipeTransport>(std::move(pipe)));
}

}  // namespace bb
