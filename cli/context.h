// What every command gets: the environment, the output streams and what they are connected to.
// Commands report errors through fail(): the message goes to stderr and the exit status is
// returned, so errors stay values up to main().
#pragma once

#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <string_view>

#include "exit_codes.h"
#include "state_paths.h"
#include "terminal.h"

namespace bb::cli {

struct Context {
  EnvLookup env;
  std::ostream& out;
  std::ostream& err;
  Terminal term;

  // Prints "backburner: <message>" on stderr and returns `status`.
  int fail(std::string_view message, int status = kExitError) const;
  // Prints "backburner: warning: <message>" on stderr.
  void warn(std::string_view message) const;
  // Prints one JSON value: indented on a terminal, one compact line otherwise (so output piped
  // to another program is one value per line).
  void print_json(const nlohmann::json& value) const;
};

}  // namespace bb::cli
