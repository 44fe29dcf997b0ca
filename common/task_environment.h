// The environment a task gets when the shim or the CLI starts it: the client's own, whole (a
// task runs with the environment of the client that started it).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace bb {

// The process environment (os::environment()) as a map. Entries that are not valid UTF-8 cannot travel in JSON: they are left out
// and their names (made printable) returned in `dropped`, for a note on stderr.
std::map<std::string, std::string> task_environment(const std::vector<std::string>& entries,
                                                    std::vector<std::string>* dropped = nullptr);

}  // namespace bb
