// The shim's stdin and stdout on Windows: the raw handles, binary (no CRLF translation, no ^Z),
// unbuffered. A closed pipe is an error value (ERROR_BROKEN_PIPE / ERROR_NO_DATA).
#include "process_stdio.h"

#include <windows.h>

#include <algorithm>

#include "os.h"

namespace bb::shim {

void prepare_process_stdio() { os::prepare_stdio_for_protocol(); }

std::ptrdiff_t read_stdin(char* data, std::size_t size) {
  DWORD n = 0;
  const DWORD want = static_cast<DWORD>(std::min<std::size_t>(size, 1u << 30));
  if (!::ReadFile(::GetStdHandle(STD_INPUT_HANDLE), data, want, &n, nullptr)) {
    // The writer closed the pipe: end of input, as on POSIX.
    return ::GetLastError() == ERROR_BROKEN_PIPE ? 0 : -1;
  }
  return static_cast<std::ptrdiff_t>(n);
}

bool write_stdout(std::string_view data) {
  const HANDLE out = ::GetStdHandle(STD_OUTPUT_HANDLE);
  while (!data.empty()) {
    DWORD n = 0;
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(data.size(), 1u << 30));
    if (!::WriteFile(out, data.data(), chunk, &n, nullptr) || n == 0) return false;
    data.remove_prefix(n);
  }
  return true;
}

}  // namespace bb::shim
