// Writing to a task's stdin (its keeper's FIFO, see keeper/stdin_pipe_posix.h) without ever
// blocking the daemon: all of the text goes in, or none of it and an error that says why.
// Platform part: task_input_<platform>.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <variant>

namespace bb {

struct InputError {
  std::string reason;   // closed, finished, input_full, io_error
  std::string message;  // for the client: what happened and what to do
};

std::variant<std::uint64_t, InputError> write_task_input(const std::filesystem::path& task_dir,
                                                         std::string_view text);

}  // namespace bb
