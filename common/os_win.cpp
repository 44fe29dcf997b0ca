#include "os.h"

#include <windows.h>

#include <bcrypt.h>
#include <fcntl.h>
#include <io.h>
#include <shellapi.h>
#include <winternl.h>

#include <cstdio>
#include <system_error>

#include "win_handle_win.h"
#include "win_text_win.h"

namespace bb::os {

std::vector<std::string> environment() {
  std::vector<std::string> out;
  wchar_t* block = ::GetEnvironmentStringsW();
  if (block == nullptr) return out;
  for (const wchar_t* e = block; *e != L'\0';) {
    const std::wstring_view entry(e);
    out.push_back(win::narrow(entry));
    e += entry.size() + 1;
  }
  ::FreeEnvironmentStringsW(block);
  return out;
}

std::optional<std::string> environment_variable(std::string_view name) {
  const std::wstring wname = win::widen(name);
  std::wstring value(256, L'\0');
  for (;;) {
    const DWORD n =
        ::GetEnvironmentVariableW(wname.c_str(), value.data(), static_cast<DWORD>(value.size()));
    if (n == 0) return std::nullopt;  // unset (or empty)
    if (n < value.size()) {
      value.resize(n);
      return win::narrow(value);
    }
    value.resize(n);  // n counts the terminating NUL when the buffer was too small
  }
}

std::vector<std::string> arguments(int, char**) {
  std::vector<std::string> out;
  int count = 0;
  wchar_t** wargv = ::CommandLineToArgvW(::GetCommandLineW(), &count);
  if (wargv == nullptr) return out;
  for (int i = 1; i < count; ++i) out.push_back(win::narrow(wargv[i]));
  ::LocalFree(wargv);
  return out;
}

std::int64_t current_pid() { return static_cast<std::int64_t>(::GetCurrentProcessId()); }

bool process_exists(std::int64_t pid) {
  if (pid <= 0 || pid > 0xffffffffll) return false;
  win::Handle h(::OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
                              static_cast<DWORD>(pid)));
  if (!h) return ::GetLastError() == ERROR_ACCESS_DENIED;  // someone else's: it exists
  return ::WaitForSingleObject(h.get(), 0) == WAIT_TIMEOUT;
}

void random_bytes(std::span<unsigned char> out) {
  // The system's preferred generator: no algorithm handle to open, safe from any thread.
  std::size_t done = 0;
  while (done < out.size()) {
    const ULONG chunk = static_cast<ULONG>(std::min<std::size_t>(out.size() - done, 1u << 20));
    const NTSTATUS st = ::BCryptGenRandom(nullptr, out.data() + done, chunk,
                                          BCRYPT_USE_SYSTEM_PREFERRED_RNG);
    if (st < 0) throw std::system_error(static_cast<int>(st), std::system_category(), "BCryptGenRandom");
    done += chunk;
  }
}

std::filesystem::path current_executable() {
  std::wstring buf(MAX_PATH, L'\0');
  for (;;) {
    const DWORD n = ::GetModuleFileNameW(nullptr, buf.data(), static_cast<DWORD>(buf.size()));
    if (n == 0) return {};
    if (n < buf.size()) {
      buf.resize(n);
      return std::filesystem::path(buf);
    }
    buf.resize(buf.size() * 2);
  }
}

namespace {
// SystemTimeOfDayInformation: the kernel's own record of when this boot began.
struct TimeOfDayInformation {
  LARGE_INTEGER boot_time;
  LARGE_INTEGER current_time;
  LARGE_INTEGER time_zone_bias;
  ULONG time_zone_id;
  ULONG reserved;
  ULONGLONG boot_time_bias;
  ULONGLONG sleep_time_bias;
};
}  // namespace

const std::string& boot_id() {
  // The boot's start time (100 ns units since 1601) names the boot: it is the same for every
  // process of one boot and differs after a restart. Unlike "now minus uptime" it has no jitter.
  static const std::string id = []() -> std::string {
    TimeOfDayInformation tod{};
    ULONG len = 0;
    if (::NtQuerySystemInformation(static_cast<SYSTEM_INFORMATION_CLASS>(3), &tod, sizeof tod,
                                   &len) < 0 ||
        tod.boot_time.QuadPart == 0)
      return {};
    return "boot-" + std::to_string(tod.boot_time.QuadPart);
  }();
  return id;
}

void prepare_stdio_for_protocol() {
  // No CRLF translation and no ^Z end-of-file on the protocol streams.
  ::_setmode(_fileno(stdin), _O_BINARY);
  ::_setmode(_fileno(stdout), _O_BINARY);
}

void use_binary_stdout() {
  std::fflush(stdout);
  std::fflush(stderr);
  ::_setmode(_fileno(stdout), _O_BINARY);
  ::_setmode(_fileno(stderr), _O_BINARY);
}

// The Windows heap returns large blocks to the system when they are freed (they are separate
// virtual allocations above about 512 KiB); there is nothing to trim or tune.
void release_free_memory() {}
void limit_retained_memory() {}

}  // namespace bb::os
