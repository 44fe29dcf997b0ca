#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace bb {
// "SIGKILL" for 9; "SIG<n>" for a number without a name.
std::string signal_name(int sig);
std::optional<int> signal_number(std::string_view name);
}  // namespace bb
