// Wall-clock times as the protocol shows them: ISO 8601 UTC with milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bb {
std::int64_t now_ms();  // milliseconds since the Unix epoch (CLOCK_REALTIME)
std::string iso_utc(std::int64_t epoch_ms);  // 2026-11-24T10:30:00.123Z
std::optional<std::int64_t> parse_iso_utc(std::string_view);  // inverse of iso_utc
}  // namespace bb
