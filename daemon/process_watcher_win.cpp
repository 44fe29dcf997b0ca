// Watching keepers on Windows: one process handle per keeper, waited on by Asio's object_handle
// on the daemon's loop (the thread pool's registered waits, not a poll). Requests go through the
// keeper's named events (keeper/keeper_requests_win.h).
#include "process_watcher.h"

#include <windows.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/windows/object_handle.hpp>

#include "file_lock_win.h"
#include "keeper_files.h"
#include "keeper_requests_win.h"
#include "os.h"
#include "win_handle_win.h"

namespace bb {

namespace {

std::optional<std::uint64_t> creation_time(HANDLE process) {
  FILETIME created{}, exited{}, kernel{}, user{};
  if (!::GetProcessTimes(process, &created, &exited, &kernel, &user)) return std::nullopt;
  return (static_cast<std::uint64_t>(created.dwHighDateTime) << 32) | created.dwLowDateTime;
}

// A handle to the identified process while it runs (or, with `even_exited`, while its process
// object still exists); none if it is gone or the pid names another process now.
win::Handle open_identified(const ProcessIdentity& id, DWORD access, bool& unsure,
                            bool even_exited = false) {
  unsure = false;
  if (id.pid <= 0 || id.pid > 0xffffffffll) return {};
  win::Handle h(::OpenProcess(access | PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE,
                              static_cast<DWORD>(id.pid)));
  if (!h) {
    const DWORD e = ::GetLastError();
    // ERROR_INVALID_PARAMETER: no such pid. Anything else (out of handles, ...) says nothing.
    unsure = e != ERROR_INVALID_PARAMETER && e != ERROR_ACCESS_DENIED;
    return {};
  }
  const auto start = creation_time(h.get());
  if (!start || *start != id.start_time) return {};
  if (!even_exited && ::WaitForSingleObject(h.get(), 0) != WAIT_TIMEOUT) return {};
  return h;
}

bool set_request(const ProcessIdentity& keeper, keeper::Request r) {
  bool unsure = false;
  if (!open_identified(keeper, 0, unsure)) return false;
  win::Handle event(::OpenEventW(EVENT_MODIFY_STATE, FALSE,
                                 keeper::request_event_name(keeper.pid, keeper.start_time, r).c_str()));
  return event && ::SetEvent(event.get());
}

class HandleWatcher final : public ProcessWatcher {
 public:
  explicit HandleWatcher(boost::asio::io_context& io) : io_(io) {}

  Watch watch(const ProcessIdentity& id, OnExit on_exit) override {
    bool unsure = false;
    // An exited keeper whose process object still exists is watched too: its exit code is
    // still there to read (kExitNoSpace), and the wait completes at once.
    win::Handle h = open_identified(id, 0, unsure, true);
    if (!h) return unsure ? Watch::failed : Watch::gone;
    auto waiter = std::make_shared<boost::asio::windows::object_handle>(io_, h.release());
    waiter->async_wait([waiter, cb = std::move(on_exit)](const boost::system::error_code& ec) {
      if (ec == boost::asio::error::operation_aborted) return;
      DWORD code = 0;
      std::optional<int> status;
      if (::GetExitCodeProcess(waiter->native_handle(), &code)) status = static_cast<int>(code);
      boost::system::error_code ignored;
      waiter->close(ignored);
      cb(status);
    });
    return Watch::watching;
  }

  bool request_cancel(const ProcessIdentity& keeper) override {
    return set_request(keeper, keeper::Request::cancel);
  }

  bool request_stdin_close(const ProcessIdentity& keeper) override {
    return set_request(keeper, keeper::Request::stdin_close);
  }

  // A task's processes live in its keeper's job, which kills them all when the keeper's handle
  // to it closes (the keeper dies): what is left here is at most the shell itself, if the job
  // could not be made. No process groups on Windows: end the leader.
  void kill_orphaned_group(const ProcessIdentity& leader) override {
    bool unsure = false;
    if (win::Handle h = open_identified(leader, PROCESS_TERMINATE, unsure))
      ::TerminateProcess(h.get(), 1);
  }

  bool alive(const ProcessIdentity& id) override { return is_alive(id); }

  Lock keeper_lock(const std::filesystem::path& task_dir) override {
    const auto file = task_dir / keeper::kKeeperLock;
    if (::GetFileAttributesW(file.c_str()) == INVALID_FILE_ATTRIBUTES) return Lock::absent;
    win::Handle h = win::open_lock_file(file);
    if (!h) return Lock::held;  // unsure: assume alive
    switch (win::try_lock(h.get(), keeper::kLivenessLockOffset, keeper::kLivenessLockLength,
                          false)) {
      case win::LockResult::busy:
        return Lock::held;
      case win::LockResult::failed:
        return Lock::held;  // unsure
      case win::LockResult::locked:
        win::unlock(h.get(), keeper::kLivenessLockOffset, keeper::kLivenessLockLength);
        break;
    }
    // Nobody holds it. A keeper the daemon recorded and resumed may not have taken it yet:
    // the identity written before it ran says whether it lives.
    h.reset();
    if (auto id = keeper::read_keeper_identity(task_dir)) {
      const bool same_boot = id->boot_id.empty() || os::boot_id().empty() ||
                             id->boot_id == os::boot_id();
      if (same_boot && is_alive(ProcessIdentity{id->pid, id->start_time})) return Lock::held;
    }
    return Lock::free;
  }

 private:
  boost::asio::io_context& io_;
};

}  // namespace

std::unique_ptr<ProcessWatcher> make_process_watcher(boost::asio::io_context& io) {
  return std::make_unique<HandleWatcher>(io);
}

}  // namespace bb
