// Windows has no signals between processes. The C runtime's few (raise() within a process)
// keep their names for messages; a task's outcome on Windows never carries one.
#include "signal_names.h"

#include <csignal>
#include <string>

namespace bb {

namespace {
struct Entry {
  int number;
  const char* name;
};
constexpr Entry kSignals[] = {
    {SIGINT, "SIGINT"},   {SIGILL, "SIGILL"},   {SIGFPE, "SIGFPE"},     {SIGSEGV, "SIGSEGV"},
    {SIGTERM, "SIGTERM"}, {SIGBREAK, "SIGBREAK"}, {SIGABRT, "SIGABRT"},
};
}  // namespace

std::string signal_name(int sig) {
  for (const auto& e : kSignals)
    if (e.number == sig) return e.name;
  return "SIG" + std::to_string(sig);
}

std::optional<int> signal_number(std::string_view name) {
  for (const auto& e : kSignals)
    if (name == e.name) return e.number;
  return std::nullopt;
}

}  // namespace bb
