// backburner-mcp: the MCP server an agent's client launches on stdio. It keeps no task state:
// every tool call becomes daemon RPCs (starting backburnerd if none runs). It exits as soon as
// stdin closes; the tasks keep running in the daemon.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string_view>

#include "daemon_client.h"
#include "daemon_events.h"
#include "mcp_server.h"
#include "os.h"
#include "policy_config.h"
#include "process_stdio.h"
#include "stdio_transport.h"
#include "task_environment.h"
#include "task_watch.h"
#include "tool_catalog.h"
#include "version.h"

int main(int argc, char** argv) {
  using namespace bb;
  using namespace bb::shim;
  if (argc > 1) {
    const std::string_view arg = argv[1];
    if (arg == "--version") {
      std::printf("backburner-mcp %s\n", BACKBURNER_VERSION);
      return 0;
    }
    std::fprintf(stderr,
                 "usage: backburner-mcp [--version]\n"
                 "An MCP server on stdio; an MCP client (Claude Code, Cursor, ...) starts it.\n");
    return arg == "--help" || arg == "-h" ? 0 : 2;
  }
  prepare_process_stdio();  // a closed stdout or daemon socket is an error value, not death

  try {
    const ToolCatalog& catalog = ToolCatalog::embedded();

    ToolsConfig tools_config;
    std::error_code ec;
    tools_config.cwd = std::filesystem::current_path(ec);
    if (ec) tools_config.cwd = "/";
    std::vector<std::string> dropped;
    tools_config.env = task_environment(os::environment(), &dropped);
    for (const auto& name : dropped) {
      std::fprintf(stderr, "backburner-mcp: %s is not valid UTF-8; tasks will not get it\n",
                   name.c_str());
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
      tools_config.home = home;

    DaemonClientConfig daemon_config;
    try {
      daemon_config.paths = resolve_state_paths(process_env());
    } catch (const std::exception& e) {
      daemon_config.paths_error = e.what();  // tools/list still works; calls report this
    }
    daemon_config.hello.client = {"backburner-mcp", BACKBURNER_VERSION};
    daemon_config.hello.policy = policy_from_env(process_env());
    DaemonEventsConfig events_config;
    events_config.paths = daemon_config.paths;
    events_config.paths_error = daemon_config.paths_error;
    events_config.hello = daemon_config.hello;

    // Declared in this order so that they go in the reverse one: the server (which unwatches
    // everything), then the watch (its threads), then the event stream.
    DaemonClient daemon(std::move(daemon_config));
    DaemonEvents events(std::move(events_config));
    TaskWatch watch(events, daemon);
    Tools tools(catalog, daemon, std::move(tools_config));
    LineSink out(write_stdout);
    ServerOptions options;
    options.version = BACKBURNER_VERSION;
    McpServer server(catalog, tools, watch, out, options);

    read_lines(
        read_stdin, options.max_line_bytes,
        [&](std::string_view line) { server.handle_line(line); },
        [&](std::size_t bytes) { server.reject_oversized_line(bytes); },
        [&] { return out.failed(); });

    // stdin closed. Calls about to finish still answer (a script may close stdin right after
    // its last request); then the rest are cancelled (a wait_task stops at once). A worker that
    // still does not return (e.g. inside a daemon start) is not waited for: the daemon
    // detaches, and the tasks live in it.
    if (!server.wait_idle(std::chrono::milliseconds(250))) {
      server.cancel_all();
      if (!server.wait_idle(std::chrono::milliseconds(250))) std::_Exit(0);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "backburner-mcp: %s\n", e.what());
    return 1;
  }
}
