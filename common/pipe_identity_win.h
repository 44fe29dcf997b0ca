// Windows only: who is at the other end of a named pipe, for the checks both ends make (a client
// talks only to a daemon of its own user; the daemon serves only clients of its own user).
#pragma once

#include <windows.h>

#include <optional>
#include <string>

namespace bb::win {

// The SID (S-1-5-...) of the user a process runs as; nullopt if the process cannot be opened
// or its token read (another user's process usually cannot be).
std::optional<std::string> process_user_sid(DWORD pid);

// The SID of this process's user (os::current_user_id()).
const std::string& own_user_sid();

}  // namespace bb::win
