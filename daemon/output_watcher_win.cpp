// Output growth on Windows: ReadDirectoryChangesW on each followed task's directory, completed
// through the daemon's I/O completion port (Asio), plus a bounded poll of the log's size while
// it is followed, because Windows may report a write to a file that stays open (the task's
// output.log) only when its directory entry is next updated. Only followed tasks are watched.
#include "output_watcher.h"

#include <windows.h>

#include <array>
#include <map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/windows/overlapped_ptr.hpp>
#include <boost/asio/windows/random_access_handle.hpp>

#include "keeper_files.h"
#include "quiet_timer.h"
#include "win_text_win.h"

namespace bb {

namespace {

namespace asio = boost::asio;

// How often a followed log's size is looked at when no notification came.
constexpr std::chrono::milliseconds kPollInterval{250};

std::uint64_t log_size(const std::filesystem::path& file) {
  WIN32_FILE_ATTRIBUTE_DATA data{};
  if (!::GetFileAttributesExW(file.c_str(), GetFileExInfoStandard, &data)) return 0;
  return (static_cast<std::uint64_t>(data.nFileSizeHigh) << 32) | data.nFileSizeLow;
}

struct Watch : std::enable_shared_from_this<Watch> {
  Watch(asio::io_context& io, std::filesystem::path dir, std::function<void()> cb)
      : log(dir / keeper::kOutputFile), dir_handle(io), timer(io), on_write(std::move(cb)) {}

  std::filesystem::path log;
  asio::windows::random_access_handle dir_handle;  // bound to the completion port
  QuietTimer timer;  // armed only while the log is followed
  std::function<void()> on_write;
  alignas(DWORD) std::array<unsigned char, 4096> buffer{};
  std::uint64_t last_size = 0;
  bool stopped = false;

  void changed() {
    const std::uint64_t size = log_size(log);
    if (size == last_size) return;
    last_size = size;
    auto cb = on_write;  // the callback may unwatch
    cb();
  }

  void read_changes() {
    if (stopped || !dir_handle.is_open()) return;
    auto self = shared_from_this();
    asio::windows::overlapped_ptr op(dir_handle.get_executor(),
                                     [self](boost::system::error_code ec, std::size_t) {
                                       if (self->stopped || ec) return;
                                       self->changed();
                                       self->read_changes();
                                     });
    const BOOL ok = ::ReadDirectoryChangesW(
        dir_handle.native_handle(), buffer.data(), static_cast<DWORD>(buffer.size()), FALSE,
        FILE_NOTIFY_CHANGE_SIZE | FILE_NOTIFY_CHANGE_LAST_WRITE | FILE_NOTIFY_CHANGE_FILE_NAME,
        nullptr, op.get(), nullptr);
    if (!ok) {
      // Notifications are unavailable here: the poll alone covers it.
      op.complete(boost::system::error_code(static_cast<int>(::GetLastError()),
                                            asio::error::get_system_category()),
                  0);
      return;
    }
    op.release();
  }

  void poll() {
    if (stopped) return;
    timer.expires_after(kPollInterval);
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped) return;
      self->changed();
      self->poll();
    });
  }

  void stop() {
    stopped = true;
    timer.cancel();
    boost::system::error_code ec;
    dir_handle.close(ec);
  }
};

class WinOutputWatcher final : public OutputWatcher {
 public:
  explicit WinOutputWatcher(asio::io_context& io) : io_(io) {}
  ~WinOutputWatcher() override {
    for (auto& [id, w] : watches_) w->stop();
  }

  bool watch(const std::string& task_id, const std::filesystem::path& task_dir,
             std::function<void()> on_write) override {
    unwatch(task_id);
    auto w = std::make_shared<Watch>(io_, task_dir, std::move(on_write));
    w->last_size = log_size(w->log);
    const HANDLE dir = ::CreateFileW(task_dir.c_str(), FILE_LIST_DIRECTORY,
                                     FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                     nullptr, OPEN_EXISTING,
                                     FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, nullptr);
    if (dir == INVALID_HANDLE_VALUE) return false;
    boost::system::error_code ec;
    w->dir_handle.assign(dir, ec);
    if (ec) ::CloseHandle(dir);
    w->read_changes();
    w->poll();
    watches_[task_id] = w;
    return true;
  }

  void unwatch(const std::string& task_id) override {
    auto it = watches_.find(task_id);
    if (it == watches_.end()) return;
    it->second->stop();
    watches_.erase(it);
  }

 private:
  asio::io_context& io_;
  std::map<std::string, std::shared_ptr<Watch>> watches_;
};

}  // namespace

std::unique_ptr<OutputWatcher> make_output_watcher(asio::io_context& io) {
  return std::make_unique<WinOutputWatcher>(io);
}

}  // namespace bb
