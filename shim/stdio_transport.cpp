#include "stdio_transport.h"

namespace bb::shim {

void LineSink::write_line(const std::string& line) {
  std::lock_guard lock(mutex_);
  if (failed_) return;
  buffer_.assign(line);
  buffer_.push_back('\n');
  if (!write_(buffer_)) failed_ = true;
}

bool LineSink::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

void read_lines(const ReadSome& read, std::size_t max_line_bytes,
                const std::function<void(std::string_view)>& on_line,
                const std::function<void(std::size_t)>& on_oversized,
                const std::function<bool()>& stop) {
  std::string pending;      // the start of the current line
  std::size_t skipped = 0;  // > 0: inside an oversized line, this many bytes dropped so far
  char buf[65536];
  while (true) {
    const std::ptrdiff_t n = read(buf, sizeof buf);
    if (n <= 0) break;
    std::string_view chunk(buf, static_cast<std::size_t>(n));
    while (!chunk.empty()) {
      const auto nl = chunk.find('\n');
      const auto part = chunk.substr(0, nl);
      if (skipped > 0) {
        skipped += part.size();
      } else if (pending.size() + part.size() > max_line_bytes) {
        skipped = pending.size() + part.size();
        pending.clear();
        pending.shrink_to_fit();
      } else {
        pending.append(part);
      }
      if (nl == std::string_view::npos) break;
      chunk.remove_prefix(nl + 1);
      if (skipped > 0) {
        on_oversized(skipped);
        skipped = 0;
      } else {
        on_line(pending);
        pending.clear();
      }
      if (stop && stop()) return;
    }
  }
  if (skipped > 0)
    on_oversized(skipped);
  else if (!pending.empty())
    on_line(pending);
}

}  // namespace bb::shim
