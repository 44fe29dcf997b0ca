#include "task_environment.h"

#include <cstring>

#include "utf8.h"

namespace bb {

std::map<std::string, std::string> task_environment(char** environ_block,
                                                    std::vector<std::string>* dropped) {
  std::map<std::string, std::string> env;
  for (char** e = environ_block; e != nullptr && *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq == nullptr || eq == *e) continue;
    std::string name(*e, static_cast<std::size_t>(eq - *e));
    std::string value(eq + 1);
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
