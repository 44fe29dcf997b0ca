#include "cli_app.h"

#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "os.h"
#include "protocol.h"
#include "version.h"

namespace bb::cli {

namespace {

std::string overview(const std::vector<Command>& commands) {
  std::string h =
      "Usage: backburner COMMAND [OPTIONS] [ARGS]\n"
      "\n"
      "Runs slow shell commands as durable background tasks, and shows and steers them.\n"
      "Tasks belong to backburnerd, this user's daemon (started on first use): they keep\n"
      "running when this terminal, an agent's session, or the daemon itself goes away.\n"
      "AI agents use the same tasks through backburner-mcp.\n"
      "\n"
      "Commands:\n";
  std::vector<std::pair<std::string, std::string>> rows;
  std::size_t width = 0;
  for (const auto& c : commands) {
    std::string name = c.spec.name;
    for (const auto& a : c.aliases) name += ", " + a;
    width = std::max(width, name.size());
    rows.emplace_back(std::move(name), c.spec.summary);
  }
  for (const auto& [name, summary] : rows) {
    h += "  " + name + std::string(width - name.size() + 3, ' ') + summary + "\n";
  }
  h +=
      "\n"
      "Options:\n"
      "  -h, --help       show this help; `backburner COMMAND --help` shows a command's\n"
      "  -V, --version    print the version\n"
      "\n"
      "Read commands take --json to print the same JSON objects the MCP tools return.\n"
      "Errors go to stderr with a non-zero exit status (1; 2 for a usage error).\n"
      "\n"
      "Environment:\n"
      "  BACKBURNER_HOME    the state dir (default ~/.backburner)\n"
      "  BACKBURNER_SOCKET  the daemon's socket (default: backburnerd.sock in the state dir)\n"
      "  BACKBURNER_ALLOW   comma-separated regexes; commands must match one (if set)\n"
      "  BACKBURNER_DENY    comma-separated regexes; commands matching one are refused\n"
      "  NO_COLOR           set (non-empty) for no colour; colour is only ever used on a terminal\n"
      "\n"
      "Example:\n"
      "  id=$(backburner start -- make -j8 test)\n"
      "  backburner logs -f \"$id\"\n"
      "  backburner wait \"$id\" && echo passed\n";
  return h;
}

const Command* find_command(const std::vector<Command>& commands, const std::string& name) {
  for (const auto& c : commands) {
    if (c.spec.name == name) return &c;
    for (const auto& a : c.aliases)
      if (a == name) return &c;
  }
  return nullptr;
}

int usage_error(Context& ctx, const std::string& where, const std::string& message) {
  ctx.err << "backburner" << (where.empty() ? "" : " " + where) << ": " << message << "\n"
          << "Run 'backburner " << (where.empty() ? "" : where + " ") << "--help' for usage.\n";
  return kExitUsage;
}

int dispatch(Context& ctx, const std::vector<std::string>& args) {
  const auto commands = all_commands();
  if (args.empty()) {
    ctx.err << overview(commands);
    return kExitUsage;
  }
  const std::string& first = args[0];
  if (first == "--version" || first == "-V" || first == "version") {
    ctx.out << "backburner " << BACKBURNER_VERSION << "\n";
    return kExitOk;
  }
  if (first == "--help" || first == "-h" || first == "help") {
    if (first == "help" && args.size() > 1) {
      if (const Command* c = find_command(commands, args[1])) {
        ctx.out << render_help(c->spec);
        return kExitOk;
      }
      return usage_error(ctx, "", "unknown command \"" + args[1] + "\"");
    }
    ctx.out << overview(commands);
    return kExitOk;
  }
  if (!first.empty() && first[0] == '-') return usage_error(ctx, "", "unknown option " + first);
  const Command* cmd = find_command(commands, first);
  if (cmd == nullptr) return usage_error(ctx, "", "unknown command \"" + first + "\"");

  const std::vector<std::string> rest(args.begin() + 1, args.end());
  auto parsed = parse_args(cmd->spec, rest);
  if (auto* e = std::get_if<UsageError>(&parsed))
    return usage_error(ctx, cmd->spec.name, e->message);
  const auto& p = std::get<ParsedArgs>(parsed);
  if (p.help) {
    ctx.out << render_help(cmd->spec);
    return kExitOk;
  }
  return cmd->run(ctx, p);
}

}  // namespace

std::vector<Command> all_commands() {
  return {start_command(),  list_command(), status_command(), logs_command(),
          send_command(),   cancel_command(), wait_command(), prune_command(),
          dashboard_command(), daemon_command(), service_command()};
}

OptionSpec json_option(const std::string& what) { return {"json", 0, "", "print JSON: " + what}; }

int run_cli(int argc, char** argv) {
  os::use_binary_stdout();  // task output is relayed byte for byte, lines end in "\n"
  const EnvLookup env = process_env();
  Context ctx{env, std::cout, std::cerr, detect_terminal(env)};
  const std::vector<std::string> args = os::arguments(argc, argv);
  int status = kExitError;
  try {
    status = dispatch(ctx, args);
  } catch (const proto::ParamsError& e) {
    status = ctx.fail("the daemon's answer was not understood: " + e.message);
  } catch (const std::exception& e) {
    status = ctx.fail(e.what());
  }
  std::cout.flush();
  return status;
}

}  // namespace bb::cli
