// The command policy a client declares to the daemon at hello, read from the client's own
// environment: BACKBURNER_ALLOW and BACKBURNER_DENY, each a comma-separated list of regular
// expressions (searched anywhere in the command, case-insensitive; deny wins). Shared by the
// shim and the CLI so both read the variables the same way.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol.h"
#include "state_paths.h"

namespace bb {

// Splits a comma-separated list. Each item is trimmed of surrounding ASCII whitespace and empty
// items are dropped, so "rm -rf, sudo ,," gives {"rm -rf", "sudo"}. A comma cannot appear inside
// an item (write `a{1,3}` as `a{1}a?a?` or use a character class instead).
std::vector<std::string> split_policy_list(std::string_view list);

// The policy from BACKBURNER_ALLOW / BACKBURNER_DENY; both empty when the variables are unset.
// Regexes are passed through unchecked: the daemon compiles them and refuses bad ones at hello.
proto::Policy policy_from_env(const EnvLookup& env);

}  // namespace bb
