// Starting the task's shell.
#pragma once

#include <filesystem>
#include <string>
#include <variant>

#include <sys/types.h>

namespace bb::keeper {

inline constexpr const char* kShell = "/bin/sh";

// Starts `/bin/sh -c command` in `cwd`, as the leader of a new process group (pgid = its pid),
// with stdin from `stdin_fd` (or /dev/null when it is -1), stdout and stderr appended to
// `output_log` (created 0600 if absent), only fds 0-2 open, an empty signal mask and every signal
// at its default action, umask `umask`, and the keeper's environment. Returns the shell's pid, or a message saying why it could not start
// (output log not writable, cwd missing, /bin/sh missing...).
// REQUIRES: the caller reaps the shell; the returned pid stays valid until it does.
std::variant<pid_t, std::string> spawn_shell(const std::string& command,
                                             const std::filesystem::path& cwd,
                                             const std::filesystem::path& output_log,
                                             int stdin_fd = -1, int umask = 022);

}  // namespace bb::keeper
