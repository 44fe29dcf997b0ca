// The shim process's own stdin and stdout as raw byte streams (process_stdio_<platform>.cpp):
// no buffering, no text-mode translation, and a closed stdout is an error value.
#pragma once

#include <cstddef>
#include <string_view>

namespace bb::shim {

// Readies stdin and stdout for protocol bytes (Windows: binary mode; POSIX: SIGPIPE ignored).
void prepare_process_stdio();
std::ptrdiff_t read_stdin(char* data, std::size_t size);
bool write_stdout(std::string_view data);

}  // namespace bb::shim
