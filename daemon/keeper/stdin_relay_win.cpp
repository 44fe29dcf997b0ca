#include "stdin_relay_win.h"

#include <charconv>

#include "file_io.h"
#include "keeper_files.h"
#include "pipe_identity_win.h"
#include "private_security_win.h"
#include "win_handle_win.h"
#include "win_text_win.h"

namespace bb::keeper {

namespace fs = std::filesystem;

namespace {
constexpr DWORD kTaskPipeBytes = 64 * 1024;
constexpr std::size_t kMaxHeaderBytes = 32;
}  // namespace

struct StdinRelay::Impl {
  fs::path stdin_file;
  std::wstring control_name;
  std::unique_ptr<win::PrivateSecurity> security;
  // The control pipe (served to the daemon) and its one pending operation.
  win::Handle control;
  win::Handle control_event;
  OVERLAPPED control_ov{};
  enum class State { idle, listening, header, body, replying, draining } state = State::idle;
  char control_buf[4096];
  std::string header;
  std::size_t body_left = 0;
  std::string reply;
  bool control_pending = false;
  bool connected_at_once = false;  // a client came before ConnectNamedPipe: nothing pending
  std::size_t body_size = 0;
  // The task's pipe: our write end, the shell's read end until it is handed over.
  win::Handle task_write;
  win::Handle task_read;
  win::Handle task_event;
  OVERLAPPED task_ov{};
  bool task_pending = false;
  std::string queued;  // accepted, not yet written into the task's pipe
  std::size_t in_flight = 0;
  bool closing = false;  // end of input requested
  bool task_gone = false;  // the task closed its stdin

  // --- the control pipe -----------------------------------------------------------------------
  bool start(BOOL ok) {
    // After issuing an overlapped call: true if it is pending or already done (event set).
    if (ok) return true;
    const DWORD e = ::GetLastError();
    return e == ERROR_IO_PENDING || e == ERROR_PIPE_CONNECTED;
  }

  void listen() {
    state = State::listening;
    header.clear();
    control_ov = OVERLAPPED{};
    control_ov.hEvent = control_event.get();
    ::ResetEvent(control_event.get());
    const BOOL ok = ::ConnectNamedPipe(control.get(), &control_ov);
    connected_at_once = !ok && ::GetLastError() == ERROR_PIPE_CONNECTED;
    if (connected_at_once) ::SetEvent(control_event.get());
    control_pending = start(ok);
    if (!control_pending) reset_control();
  }

  void read_control() {
    control_ov = OVERLAPPED{};
    control_ov.hEvent = control_event.get();
    ::ResetEvent(control_event.get());
    const std::size_t want =
        state == State::body ? std::min(body_left, sizeof control_buf) : sizeof control_buf;
    control_pending = start(::ReadFile(control.get(), control_buf, static_cast<DWORD>(want),
                                       nullptr, &control_ov));
    if (!control_pending) reset_control();
  }

  void send(std::string text, State next_state) {
    reply = std::move(text);
    state = State::replying;
    DWORD n = 0;
    OVERLAPPED ov{};
    win::Handle done(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
    ov.hEvent = done.get();
    // A few bytes into an empty pipe buffer: this completes at once, but is bounded anyway.
    if (!::WriteFile(control.get(), reply.data(), static_cast<DWORD>(reply.size()), nullptr, &ov) &&
        ::GetLastError() == ERROR_IO_PENDING &&
        ::WaitForSingleObject(done.get(), 1000) != WAIT_OBJECT_0) {
      ::CancelIoEx(control.get(), &ov);
    }
    ::GetOverlappedResult(control.get(), &ov, &n, TRUE);
    state = next_state;
    read_control();
  }

  // Ends the current client's connection and serves the next one.
  void reset_control() {
    if (!control) return;
    ::DisconnectNamedPipe(control.get());
    if (closing) {
      stop_control();
      return;
    }
    listen();
  }

  void stop_control() {
    if (control_pending) {
      ::CancelIoEx(control.get(), &control_ov);
      DWORD n = 0;
      ::GetOverlappedResult(control.get(), &control_ov, &n, TRUE);
      control_pending = false;
    }
    control.reset();
    state = State::idle;
  }

  void on_control(DWORD n) {
    switch (state) {
      case State::listening: {
        ULONG pid = 0;
        const bool ours = ::GetNamedPipeClientProcessId(control.get(), &pid) &&
                          win::process_user_sid(pid) == win::own_user_sid();
        if (!ours) return reset_control();
        state = State::header;
        return read_control();
      }
      case State::header: {
        header.append(control_buf, n);
        const auto nl = header.find('\n');
        if (nl == std::string::npos) {
          if (header.size() > kMaxHeaderBytes) return reset_control();
          return read_control();
        }
        std::size_t size = 0;
        auto [end, ec] = std::from_chars(header.data(), header.data() + nl, size);
        if (ec != std::errc() || end != header.data() + nl) return reset_control();
        if (closing || task_gone) return send("closed\n", State::draining);
        const std::size_t unread = queued.size() + in_flight;
        if (unread + size > kStdinCapacity)
          return send("full " + std::to_string(unread) + " " + std::to_string(kStdinCapacity) + "\n",
                      State::draining);
        body_left = body_size = size;
        header.erase(0, nl + 1);  // bytes of the body that came with the header
        if (header.size() > body_left) return reset_control();
        queued += header;
        body_left -= header.size();
        header.clear();
        write_task();
        if (body_left == 0) return send("ok " + std::to_string(size) + "\n", State::draining);
        return send("go\n", State::body);
      }
      case State::body: {
        queued.append(control_buf, n);
        body_left -= std::min<std::size_t>(body_left, n);
        write_task();
        if (body_left == 0) return send("ok " + std::to_string(body_size) + "\n", State::draining);
        return read_control();
      }
      case State::draining:
        // The client has its answer; anything more from it is not expected.
        return reset_control();
      default:
        return;
    }
  }

  // --- the task's pipe --------------------------------------------------------------------------
  void write_task() {
    if (task_pending || !task_write) return;
    if (queued.empty()) {
      if (closing) task_write.reset();  // all written: end of file for the task
      return;
    }
    in_flight = std::min<std::size_t>(queued.size(), kTaskPipeBytes);
    task_ov = OVERLAPPED{};
    task_ov.hEvent = task_event.get();
    ::ResetEvent(task_event.get());
    if (!::WriteFile(task_write.get(), queued.data(), static_cast<DWORD>(in_flight), nullptr,
                     &task_ov) &&
        ::GetLastError() != ERROR_IO_PENDING) {
      on_task_gone();
      return;
    }
    task_pending = true;
  }

  void on_task_gone() {
    task_gone = true;
    task_pending = false;
    queued.clear();
    in_flight = 0;
    task_write.reset();
  }
};

StdinRelay::StdinRelay(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StdinRelay::~StdinRelay() {
  impl_->closing = true;
  impl_->stop_control();
  if (impl_->task_pending) {
    ::CancelIoEx(impl_->task_write.get(), &impl_->task_ov);
    DWORD n = 0;
    ::GetOverlappedResult(impl_->task_write.get(), &impl_->task_ov, &n, TRUE);
  }
  ::DeleteFileW(impl_->stdin_file.c_str());
}

std::variant<std::unique_ptr<StdinRelay>, std::string> StdinRelay::create(
    const fs::path& task_dir, const std::wstring& unique) {
  auto impl = std::make_unique<Impl>();
  impl->stdin_file = task_dir / kStdinFifo;
  impl->control_name = L"\\\\.\\pipe\\backburner-stdin-" + unique;
  const std::wstring task_name = impl->control_name + L"-task";
  impl->security = win::PrivateSecurity::make(win::PrivateFor::pipe);
  SECURITY_ATTRIBUTES* sa = impl->security ? impl->security->attributes() : nullptr;
  auto fail = [&](const std::string& what) {
    return "cannot create the task's stdin (" + what + "): " + win::last_error_text();
  };

  impl->task_write.reset(::CreateNamedPipeW(
      task_name.c_str(), PIPE_ACCESS_OUTBOUND | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
      PIPE_TYPE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1, kTaskPipeBytes, 0, 0, sa));
  if (!impl->task_write) return fail("its pipe");
  SECURITY_ATTRIBUTES inheritable{sizeof inheritable, nullptr, TRUE};
  impl->task_read.reset(::CreateFileW(task_name.c_str(), GENERIC_READ, 0, &inheritable,
                                      OPEN_EXISTING, 0, nullptr));
  if (!impl->task_read) return fail("its read end");
  impl->task_event.reset(::CreateEventW(nullptr, TRUE, FALSE, nullptr));

  impl->control.reset(::CreateNamedPipeW(
      impl->control_name.c_str(),
      PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1,
      4096, static_cast<DWORD>(kStdinCapacity + kMaxHeaderBytes), 0, sa));
  if (!impl->control) return fail("its control pipe");
  impl->control_event.reset(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!impl->task_event || !impl->control_event) return fail("events");
  if (fileio::replace_file(impl->stdin_file, win::narrow(impl->control_name) + "\n",
                           fileio::Durability::none))
    return fail("its " + std::string(kStdinFifo) + " file");
  impl->listen();
  return std::unique_ptr<StdinRelay>(new StdinRelay(std::move(impl)));
}

HANDLE StdinRelay::task_end() const { return impl_->task_read.get(); }
void StdinRelay::release_task_end() { impl_->task_read.reset(); }

std::vector<HANDLE> StdinRelay::events() const {
  std::vector<HANDLE> out;
  if (impl_->control_pending) out.push_back(impl_->control_event.get());
  if (impl_->task_pending) out.push_back(impl_->task_event.get());
  return out;
}

void StdinRelay::service() {
  Impl& i = *impl_;
  if (i.task_pending && ::WaitForSingleObject(i.task_event.get(), 0) == WAIT_OBJECT_0) {
    DWORD n = 0;
    i.task_pending = false;
    if (::GetOverlappedResult(i.task_write.get(), &i.task_ov, &n, FALSE)) {
      i.queued.erase(0, n);
      i.in_flight = 0;
      i.write_task();
    } else {
      i.on_task_gone();
    }
  }
  if (i.control_pending && ::WaitForSingleObject(i.control_event.get(), 0) == WAIT_OBJECT_0) {
    DWORD n = 0;
    i.control_pending = false;
    const bool at_once = i.state == Impl::State::listening && i.connected_at_once;
    i.connected_at_once = false;
    if (at_once || ::GetOverlappedResult(i.control.get(), &i.control_ov, &n, FALSE))
      i.on_control(n);
    else
      i.reset_control();
  }
}

void StdinRelay::close_input() {
  Impl& i = *impl_;
  if (i.closing) return;
  i.closing = true;
  ::DeleteFileW(i.stdin_file.c_str());  // no new writer can find the pipe
  i.stop_control();
  i.write_task();  // closes the task's pipe at once if nothing is left to write
}

bool StdinRelay::done() const { return impl_->closing && !impl_->task_write; }

}  // namespace bb::keeper
