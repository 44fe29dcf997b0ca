// The CLI's commands. Each lives in its own cmd_<name>.cpp and returns its declaration: the spec
// (options and help text, see command_line.h) and the function that runs it. A run function
// returns the process's exit status (exit_codes.h) and reports errors through Context::fail.
#pragma once

#include <string>
#include <vector>

#include "command_line.h"
#include "context.h"

namespace bb::cli {

using RunFn = int (*)(Context&, const ParsedArgs&);

struct Command {
  CommandSpec spec;
  std::vector<std::string> aliases;
  RunFn run = nullptr;
};

Command start_command();
Command list_command();
Command status_command();
Command logs_command();
Command cancel_command();
Command wait_command();
Command send_command();
Command prune_command();
Command dashboard_command();
Command daemon_command();
Command service_command();

// In the order `backburner --help` lists them.
std::vector<Command> all_commands();

// The --json option, worded the same for every read command.
OptionSpec json_option(const std::string& what);

}  // namespace bb::cli
