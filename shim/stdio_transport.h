// The stdio transport: newline-delimited messages on stdin, one writer for stdout.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "mcp_server.h"

namespace bb::shim {

// Writes whole lines to an fd (stdout) with plain write(2), one line at a time. Once a write
// fails (the client closed its end) every later line is dropped and failed() turns true.
class FdSink final : public OutputSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  void write_line(const std::string& line) override;
  bool failed() const;

 private:
  int fd_;
  mutable std::mutex mutex_;
  bool failed_ = false;
  std::string buffer_;
};

// Reads `fd` until EOF (or a read error), calling on_line for each line without its newline.
// A line longer than max_line_bytes is not buffered: its bytes are skipped up to the next
// newline and on_oversized gets its length (at least max_line_bytes + 1). A final line
// without a newline is delivered at EOF. `stop` is checked after each line.
void read_lines(int fd, std::size_t max_line_bytes,
                const std::function<void(std::string_view)>& on_line,
                const std::function<void(std::size_t)>& on_oversized,
                const std::function<bool()>& stop = nullptr);

}  // namespace bb::shim
