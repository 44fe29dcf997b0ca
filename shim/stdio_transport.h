// The stdio transport: newline-delimited messages on stdin, one writer for stdout. The line
// logic is here; the process's own stdin and stdout are reached through process_stdio.h.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "mcp_server.h"

namespace bb::shim {

// Reads up to `size` bytes into `data`: the count, 0 at end of input, < 0 on an error.
using ReadSome = std::function<std::ptrdiff_t(char* data, std::size_t size)>;
// Writes all of `data`; false once the other end is gone.
using WriteAll = std::function<bool(std::string_view data)>;

// Writes whole lines, one at a time. Once a write fails (the client closed its end) every
// later line is dropped and failed() turns true.
class LineSink final : public OutputSink {
 public:
  explicit LineSink(WriteAll write) : write_(std::move(write)) {}
  void write_line(const std::string& line) override;
  bool failed() const;

 private:
  WriteAll write_;
  mutable std::mutex mutex_;
  bool failed_ = false;
  std::string buffer_;
};

// Reads until end of input (or a read error), calling on_line for each line without its
// newline. A line longer than max_line_bytes is not buffered: its bytes are skipped up to the
// next newline and on_oversized gets its length (at least max_line_bytes + 1). A final line
// without a newline is delivered at the end. `stop` is checked after each line.
void read_lines(const ReadSome& read, std::size_t max_line_bytes,
                const std::function<void(std::string_view)>& on_line,
                const std::function<void(std::size_t)>& on_oversized,
                const std::function<bool()>& stop = nullptr);

}  // namespace bb::shim
