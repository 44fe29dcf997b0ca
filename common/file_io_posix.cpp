#include "file_io.h"

#include <cerrno>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os.h"

namespace bb::fileio {

namespace fs = std::filesystem;

namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

bool g_flushes = true;  // set once at start, before any thread exists

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now, reporting the error close() gives (a late write-back failure).
  std::error_code close() {
    const int fd = fd_;
    fd_ = -1;
    return fd >= 0 && ::close(fd) != 0 ? last_error() : std::error_code();
  }

 private:
  int fd_;
};

std::error_code write_all_at(int fd, std::string_view data, off_t at) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), at);
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    at += n;
  }
  return {};
}

fs::path temp_name(const fs::path& file, const char* suffix) {
  fs::path tmp = file;
  tmp += suffix;
  return tmp;
}

}  // namespace

std::optional<std::string> read_small_file(const fs::path& file, std::size_t max_bytes) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::string text(max_bytes, '\0');
  std::size_t done = 0;
  while (done < max_bytes) {
    const ssize_t n = ::read(fd.get(), text.data() + done, max_bytes - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return text;
}

void set_flushes(bool enabled) { g_flushes = enabled; }
bool flushes() { return g_flushes; }

std::error_code sync_directory(const fs::path& dir) {
  if (!g_flushes) return {};
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return last_error();
  if (::fsync(fd.get()) != 0) return last_error();
  return fd.close();
}

std::error_code replace_file(const fs::path& file, std::string_view content,
                             Durability durability) {
  const fs::path tmp = temp_name(file, (".tmp." + std::to_string(os::current_pid())).c_str());
  std::error_code ec;
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) return last_error();
    ec = write_all_at(fd.get(), content, 0);
    if (!ec && durability == Durability::sync && g_flushes && ::fsync(fd.get()) != 0)
      ec = last_error();
    if (auto c = fd.close(); !ec) ec = c;
  }
  if (!ec && ::rename(tmp.c_str(), file.c_str()) != 0) ec = last_error();
  if (ec) {
    ::unlink(tmp.c_str());
    return ec;
  }
  if (durability == Durability::sync) return sync_directory(file.parent_path());
  return {};
}

namespace {

class PosixReservedFile final : public ReservedFile {
 public:
  PosixReservedFile(fs::path file, fs::path reserve, int fd, std::size_t bytes)
      : file_(std::move(file)), reserve_(std::move(reserve)), fd_(fd), bytes_(bytes) {}
  ~PosixReservedFile() override {
    if (!committed_) ::unlink(reserve_.c_str());
  }

  std::error_code commit(std::string_view content) override {
    if (committed_ || fd_.get() < 0) return std::make_error_code(std::errc::bad_file_descriptor);
    if (content.size() > bytes_) return std::make_error_code(std::errc::file_too_large);
    // Overwriting allocated blocks and shrinking the file need no new space.
    std::error_code ec = write_all_at(fd_.get(), content, 0);
    if (!ec && ::ftruncate(fd_.get(), static_cast<off_t>(content.size())) != 0) ec = last_error();
    if (!ec && g_flushes && ::fsync(fd_.get()) != 0) ec = last_error();
    if (auto c = fd_.close(); !ec) ec = c;
    if (!ec && ::rename(reserve_.c_str(), file_.c_str()) != 0) ec = last_error();
    if (ec) return ec;
    committed_ = true;
    return sync_directory(file_.parent_path());
  }

 private:
  fs::path file_;
  fs::path reserve_;
  Fd fd_;
  std::size_t bytes_;
  bool committed_ = false;
};

}  // namespace

std::unique_ptr<ReservedFile> ReservedFile::reserve(const fs::path& file, std::size_t bytes,
                                                    std::error_code& ec) {
  const fs::path reserve = temp_name(file, ".reserve");
  const int fd = ::open(reserve.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    ec = last_error();
    return nullptr;
  }
  auto out = std::make_unique<PosixReservedFile>(file, reserve, fd, bytes);
  // posix_fallocate allocates real blocks (tmpfs and ext4 alike); where the file system cannot,
  // writing the bytes does the same.
  int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes));
  if (rc == EOPNOTSUPP || rc == EINVAL) {
    const std::string zeros(bytes, '\0');
    ec = write_all_at(fd, zeros, 0);
    if (!ec && ::fsync(fd) != 0) ec = last_error();
    rc = ec ? ec.value() : 0;
  }
  if (rc != 0) {
    ec = std::error_code(rc, std::generic_category());
    return nullptr;
  }
  ec.clear();
  return out;
}

}  // namespace bb::fileio
