// open_log on POSIX: open + fstat once, then pread at explicit offsets (no shared file
// position, no read past the size taken at open).
#include "output_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace bb {

namespace {

using boost::system::error_code;
using boost::system::result;

error_code last_error() { return {errno, boost::system::system_category()}; }

class PosixLogFile final : public LogFile {
 public:
  // fd < 0: a log not created yet, read as empty.
  PosixLogFile(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  ~PosixLogFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  PosixLogFile(const PosixLogFile&) = delete;
  PosixLogFile& operator=(const PosixLogFile&) = delete;

  std::uint64_t size() const override { return size_; }

  result<void> read_at(std::uint64_t offset, std::span<char> out) override {
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n =
          ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return last_error();
      }
      // The keeper only appends, so bytes below the size taken at open cannot vanish; if they
      // do, the log was tampered with and a short answer would be silently wrong.
      if (n == 0) return boost::system::errc::make_error_code(boost::system::errc::io_error);
      done += static_cast<std::size_t>(n);
    }
    return {};
  }

 private:
  int fd_;
  std::uint64_t size_;
};

}  // namespace

result<std::unique_ptr<LogFile>> open_log(const std::filesystem::path& file) {
  // O_NONBLOCK: opening a FIFO planted at the path must not hang the daemon; it is refused
  // below as not a regular file.
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::make_unique<PosixLogFile>(-1, 0);
    return last_error();
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const error_code ec = last_error();
    ::close(fd);
    return ec;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return boost::system::errc::make_error_code(S_ISDIR(st.st_mode)
                                                    ? boost::system::errc::is_a_directory
                                                    : boost::system::errc::invalid_argument);
  }
  return std::make_unique<PosixLogFile>(fd, static_cast<std::uint64_t>(st.st_size));
}

}  // namespace bb
