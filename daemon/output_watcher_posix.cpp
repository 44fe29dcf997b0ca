#include "output_watcher.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <sys/inotify.h>
#include <unistd.h>

#include "keeper_files.h"

namespace bb {

namespace {

class InotifyOutputWatcher final : public OutputWatcher {
 public:
  explicit InotifyOutputWatcher(boost::asio::io_context& io) : stream_(io) {}
  ~InotifyOutputWatcher() override {
    boost::system::error_code ec;
    stream_.close(ec);
  }

  bool watch(const std::string& task_id, const std::filesystem::path& task_dir,
             std::function<void()> on_write) override {
    if (!open()) return false;
    unwatch(task_id);
    const int wd = ::inotify_add_watch(stream_.native_handle(), task_dir.c_str(),
                                       IN_MODIFY | IN_CREATE);
    if (wd < 0) return false;
    by_wd_[wd] = Entry{task_id, std::move(on_write)};
    wd_of_[task_id] = wd;
    return true;
  }

  void unwatch(const std::string& task_id) override {
    auto it = wd_of_.find(task_id);
    if (it == wd_of_.end()) return;
    ::inotify_rm_watch(stream_.native_handle(), it->second);
    by_wd_.erase(it->second);
    wd_of_.erase(it);
  }

 private:
  struct Entry {
    std::string task_id;
    std::function<void()> on_write;
  };

  bool open() {
    if (stream_.is_open()) return true;
    const int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0) return false;
    stream_.assign(fd);
    read();
    return true;
  }

  void read() {
    stream_.async_read_some(boost::asio::buffer(buf_),
                            [this](const boost::system::error_code& ec, std::size_t n) {
                              if (ec) return;
                              dispatch(n);
                              read();
                            });
  }

  void dispatch(std::size_t n) {
    // Several writes to one log arrive as one event per read at most: collect, then call.
    std::vector<int> woken;
    for (std::size_t pos = 0; pos + sizeof(inotify_event) <= n;) {
      inotify_event ev;
      std::memcpy(&ev, buf_.data() + pos, sizeof ev);
      const char* name = buf_.data() + pos + sizeof(inotify_event);
      if (ev.len > 0 && std::strcmp(name, keeper::kOutputFile) == 0) woken.push_back(ev.wd);
      pos += sizeof(inotify_event) + ev.len;
    }
    std::sort(woken.begin(), woken.end());
    woken.erase(std::unique(woken.begin(), woken.end()), woken.end());
    for (int wd : woken) {
      auto it = by_wd_.find(wd);
      if (it != by_wd_.end()) {
        auto cb = it->second.on_write;  // the callback may unwatch
        cb();
      }
    }
  }

  boost::asio::posix::stream_descriptor stream_;
  alignas(inotify_event) std::array<char, 16384> buf_{};
  std::map<int, Entry> by_wd_;
  std::map<std::string, int> wd_of_;
};

}  // namespace

std::unique_ptr<OutputWatcher> make_output_watcher(boost::asio::io_context& io) {
  return std::make_unique<InotifyOutputWatcher>(io);
}

}  // namespace bb
