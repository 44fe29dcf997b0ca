// Structured progress read from the end of a task's output.
//
// A task can state its progress with a marker line:
//
//     ::progress <current>/<total> [message]      e.g.  ::progress 40/100 building docs
//     ::progress <percent>% [message]             e.g.  ::progress 45% linking
//
// The marker starts its line (spaces before it are allowed) and is followed by a space or the
// end of the line. current and total are whole numbers (total at least 1; current above total
// reads as 100%); percent may have a fraction (45.5%) and is clamped to 0..100. The rest of
// the line, trimmed, is the message. A line that starts with "::progress" but has neither
// form is ordinary output. The latest marker in the tail wins over anything inferred, however
// much output follows it.
//
// Without a marker, progress is inferred from the latest line that shows some, in the shapes
// common tools print:
// - a percentage: "45%", "45.5%" (make and CMake "[ 45%] Building ...", pytest "[ 45%]", tqdm
//   " 45%|####  | 45/100 [...]", curl -# "####   45.2%", apt "Progress: [ 45%]");
// - a count: "12/50", "[12/50]", "(12/50)", "3 of 7", "step 3 of 7" (ninja "[12/50] ...",
//   cargo "Building [===>  ] 120/250: serde", yarn "[2/4] Fetching packages...");
// - curl's progress meter row (" 45  100M   45 45.0M    0     0 ...");
// - tqdm without a total ("rows: 230it [00:02, 97.89it/s]"): a current count only.
// The last of each kind on a line counts (a line can hold a terminal's redraws). A count and a
// percentage on one line go together only if they agree within a point; otherwise the
// percentage stands alone. A percentage is derived from a count when there is none.
// Rejected as lookalikes: percentages above 100 or signed ("+5%"), counts above their total or
// out of zero, numbers with leading zeros (dates such as 03/12), slash chains (12/03/2026,
// paths), numbers glued to letters, dots or slashes (v1/2, 10.0.0.0/8, HTTP/1.1).
// Cargo's status lines ("   Compiling foo v1.0.0", "    Finished ...") count as progress with
// a message only, when no line shows numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bb {

struct Progress {
  std::optional<double> percent;  // 0..100
  std::optional<std::int64_t> current, total;
  std::string message;  // the last non-empty status line, trimmed, at most kMaxMessageChars

  friend bool operator==(const Progress&, const Progress&) = default;
};

inline constexpr std::size_t kMaxMessageChars = 200;

// The latest progress in `tail`, the end of a task's cleaned output (bb::text; give it up to
// ~64 KiB, whole lines), or nullopt when it shows none. message is the marker's own message,
// else the last non-empty line that is not a marker.
std::optional<Progress> parse_progress(std::string_view tail);

}  // namespace bb
