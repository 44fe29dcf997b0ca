// A task's progress, read from the end of its log when someone asks (task.get, task.list,
// task.output with progress: true, events): the latest progress marker in the last few KiB of
// output, cleaned as a terminal would show it (common/progress.h says what counts).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "protocol.h"

namespace bb {

class LogFile;

// How much of the log's end is looked at.
inline constexpr std::uint64_t kProgressTailBytes = 16 * 1024;

std::optional<proto::Progress> progress_of(LogFile& log);
std::optional<proto::Progress> progress_of(const std::filesystem::path& log);

}  // namespace bb
