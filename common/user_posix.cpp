// The current user (kept apart from os_posix.cpp: getpwuid_r would tie the statically linked
// keeper to the system's NSS libraries, and the keeper never asks).
#include <pwd.h>
#include <unistd.h>

#include "os.h"

namespace bb::os {

std::string current_user_id() { return std::to_string(::getuid()); }

std::string current_user_name() {
  passwd pw{};
  passwd* found = nullptr;
  char buf[4096];
  if (::getpwuid_r(::getuid(), &pw, buf, sizeof buf, &found) == 0 && found != nullptr &&
      found->pw_name != nullptr && *found->pw_name != '\0')
    return found->pw_name;
  return current_user_id();
}

}  // namespace bb::os
