#include "task_environment.h"

#include "utf8.h"

namespace bb {

std::map<std::string, std::string> task_environment(const std::vector<std::string>& entries,
                                                    std::vector<std::string>* dropped) {
  std::map<std::string, std::string> env;
  for (const std::string& e : entries) {
    // Windows keeps per-drive working directories as hidden "=C:=C:\dir" entries: not
    // variables a task should get.
    const auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string name = e.substr(0, eq);
    std::string value = e.substr(eq + 1);
    if (!utf8::is_valid(name) || !utf8::is_valid(value)) {
      if (dropped != nullptr) {
        for (auto& ch : name) {
          if (static_cast<unsigned char>(ch) >= 0x80) ch = '?';
        }
        dropped->push_back(name);
      }
      continue;
    }
    env.emplace(std::move(name), std::move(value));  // the first of duplicate names wins, as getenv
  }
  return env;
}

}  // namespace bb
