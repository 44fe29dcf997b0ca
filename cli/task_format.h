// How tasks read for people: durations, ages, sizes, status words, and the exit status that
// `wait` reports for a task.
#pragma once

#include <cstdint>
#include <string>

#include "protocol.h"
#include "terminal.h"

namespace bb::cli {

// "850ms", "4.2s", "42s", "3m05s", "2h03m", "3d04h".
std::string format_duration(double seconds);

// Time since an ISO 8601 UTC instant, e.g. "3m ago"; "?" if the text is not one.
std::string format_age(const std::string& iso, std::int64_t now_ms);

// "512 B", "12.3 KiB", "4.0 MiB", "1.2 GiB".
std::string format_bytes(std::uint64_t bytes);

// The status with what decided it: "completed", "failed (exit 3)", "failed (SIGSEGV)",
// "cancelled (SIGTERM)".
std::string status_words(const proto::TaskView& t);

Colour status_colour(proto::Status s);

// How long the task ran (terminal) or has been running (working); 0 when unknown.
double task_seconds(const proto::TaskView& t);

// The exit status `wait` reports for a terminal task (see exit_codes.h).
int wait_exit_status(const proto::TaskView& t);

// A command on one line: newlines and tabs become spaces; cut to `width` with "..." when
// width > 0 and the text is longer (counting UTF-8 characters, not bytes).
// "45%", "12/50", "45% 12/50" with the status line, or "" when the task shows no progress.
std::string progress_words(const proto::TaskView& t);

std::string one_line(const std::string& text, std::size_t width);

}  // namespace bb::cli
