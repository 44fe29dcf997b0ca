// Writing to a task's stdin on Windows: the keeper's control pipe (keeper/stdin_relay_win.h),
// named in the task dir's `stdin` file. Every step is bounded: the keeper answers at once, so
// the daemon waits at most kAnswerTimeout on a keeper that does not (suspended in a debugger,
// say) and reports it, instead of blocking its loop.
#include "task_input.h"

#include <windows.h>

#include <charconv>
#include <optional>

#include "file_io.h"
#include "keeper_files.h"
#include "pipe_identity_win.h"
#include "utf8_path.h"
#include "win_handle_win.h"
#include "win_text_win.h"

namespace bb {

namespace {

constexpr DWORD kAnswerTimeout = 2000;  // ms

class ControlPipe {
 public:
  explicit ControlPipe(win::Handle h)
      : h_(std::move(h)), event_(::CreateEventW(nullptr, TRUE, FALSE, nullptr)) {}

  // One overlapped operation, bounded. False if it failed or timed out.
  template <typename Start>
  bool run(Start start, DWORD& n) {
    OVERLAPPED ov{};
    ov.hEvent = event_.get();
    ::ResetEvent(event_.get());
    if (!start(&ov)) {
      if (::GetLastError() != ERROR_IO_PENDING) return false;
      if (::WaitForSingleObject(event_.get(), kAnswerTimeout) != WAIT_OBJECT_0) {
        ::CancelIoEx(h_.get(), &ov);
        ::GetOverlappedResult(h_.get(), &ov, &n, TRUE);
        timed_out = true;
        return false;
      }
    }
    return ::GetOverlappedResult(h_.get(), &ov, &n, FALSE) != FALSE;
  }

  bool write(std::string_view data) {
    while (!data.empty()) {
      DWORD n = 0;
      const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(data.size(), 1u << 20));
      if (!run([&](OVERLAPPED* ov) { return ::WriteFile(h_.get(), data.data(), chunk, nullptr, ov); },
               n))
        return false;
      data.remove_prefix(n);
    }
    return true;
  }

  // One answer line, without its newline; nullopt if none came.
  std::optional<std::string> answer() {
    std::string line;
    while (line.find('\n') == std::string::npos && line.size() < 256) {
      char buf[128];
      DWORD n = 0;
      if (!run([&](OVERLAPPED* ov) { return ::ReadFile(h_.get(), buf, sizeof buf, nullptr, ov); },
               n) ||
          n == 0)
        return std::nullopt;
      line.append(buf, n);
    }
    line.resize(line.find('\n') == std::string::npos ? line.size() : line.find('\n'));
    return line;
  }

  bool timed_out = false;

 private:
  win::Handle h_;
  win::Handle event_;
};

InputError finished() { return {"finished", "the task has ended; its input is closed"}; }

InputError no_answer(const ControlPipe& p) {
  if (!p.timed_out) return finished();
  return {"io_error", "the task's keeper did not answer within " +
                          std::to_string(kAnswerTimeout / 1000) +
                          " s; nothing was written. Try again"};
}

}  // namespace

std::variant<std::uint64_t, InputError> write_task_input(const std::filesystem::path& task_dir,
                                                         std::string_view text) {
  const auto named = fileio::read_small_file(task_dir / keeper::kStdinFifo, 1024);
  if (!named) return InputError{"closed", "the task's input is closed"};
  std::string name = *named;
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
  const std::wstring pipe_name = win::widen(name);
  win::Handle h;
  for (int attempt = 0; attempt < 2 && !h; ++attempt) {
    h.reset(::CreateFileW(pipe_name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                          OPEN_EXISTING,
                          FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION,
                          nullptr));
    if (h) break;
    const DWORD e = ::GetLastError();
    if (e == ERROR_FILE_NOT_FOUND) return finished();  // the keeper is gone
    if (e != ERROR_PIPE_BUSY)
      return InputError{"io_error", "cannot open the task's input: " + win::error_text(e)};
    ::WaitNamedPipeW(pipe_name.c_str(), kAnswerTimeout);
  }
  if (!h) return InputError{"io_error", "the task's input is busy; try again"};
  // Only the task's own keeper (our user) may receive what the client sends.
  ULONG pid = 0;
  if (!::GetNamedPipeServerProcessId(h.get(), &pid) ||
      win::process_user_sid(pid) != win::own_user_sid())
    return InputError{"io_error", "refusing to write the task's input: " + name +
                                      " is not served by this user's keeper"};
  ControlPipe pipe(std::move(h));
  if (!pipe.write(std::to_string(text.size()) + "\n")) return no_answer(pipe);
  auto first = pipe.answer();
  if (!first) return no_answer(pipe);
  if (*first == "closed") return finished();
  if (first->rfind("full ", 0) == 0) {
    unsigned long long unread = 0, capacity = 0;
    std::sscanf(first->c_str() + 5, "%llu %llu", &unread, &capacity);
    return InputError{
        "input_full",
        "the task has not read the " + std::to_string(unread) +
            " bytes of input sent before, and its input holds at most " +
            std::to_string(capacity) + " bytes: nothing was written. Send it again once the "
            "task has read more (check its output), or send less at a time"};
  }
  if (*first == "go") {
    if (!pipe.write(text)) return no_answer(pipe);
    first = pipe.answer();
    if (!first) return no_answer(pipe);
  }
  if (first->rfind("ok", 0) != 0)
    return InputError{"io_error", "the task's keeper answered \"" + *first + "\""};
  return static_cast<std::uint64_t>(text.size());
}

}  // namespace bb
