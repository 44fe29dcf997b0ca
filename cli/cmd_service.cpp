// backburner service install|uninstall|status: the daemon as a user service of this system
// (systemd on Linux, launchd on macOS, a Scheduled Task on Windows).
#include <ostream>

#include "commands.h"
#include "daemon_autostart.h"
#include "service_host.h"
#include "service_runner.h"

namespace bb::cli {

namespace {

namespace fs = std::filesystem;

bool is_executable(const fs::path& p) {
  std::error_code ec;
  const auto st = fs::status(p, ec);
  if (ec || !fs::is_regular_file(st)) return false;
  using fs::perms;
  return (st.permissions() & (perms::owner_exec | perms::group_exec | perms::others_exec)) !=
         perms::none;
}

// Everything the plans need, from the environment and this installation. An error message if
// something is missing.
std::variant<ServiceSetup, std::string> make_setup(const Context& ctx, const ParsedArgs& args) {
  ServiceSetup s;
  s.os = host_service_os();
  if (auto name = args.value("os")) {
    auto os = service_os_from_string(*name);
    if (!os) return "--os must be linux, macos or windows; got \"" + *name + "\"";
    s.os = *os;
  }
  s.socket_activation = args.has("socket");
  if (s.socket_activation && s.os != ServiceOs::linux_systemd) {
    return std::string("--socket is for systemd (linux) only");
  }
  try {
    s.paths = resolve_state_paths(ctx.env);
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  if (auto home = ctx.env("HOME")) {
    s.home = *home;
  } else if (s.os != ServiceOs::windows_task) {
    return std::string("HOME is not set: cannot tell where the user's service files go");
  }
  if (auto xdg = ctx.env("XDG_CONFIG_HOME"); xdg && fs::path(*xdg).is_absolute()) {
    s.xdg_config_home = fs::path(*xdg);
  }
  s.uid = current_uid();
  if (ctx.env("BACKBURNER_HOME"))
    s.environment.emplace_back("BACKBURNER_HOME", s.paths.home.string());
  if (ctx.env("BACKBURNER_SOCKET")) {
    s.environment.emplace_back("BACKBURNER_SOCKET", s.paths.socket.string());
  }
  const fs::path here = own_directory();
  s.windows_scripts = (here / ".." / "share" / "backburner" / "windows").lexically_normal();
  if (s.os == ServiceOs::windows_task) {
    s.daemon = here / "backburnerd.exe";
    return s;
  }
  for (const auto& candidate : default_daemon_candidates(ctx.env)) {
    if (is_executable(candidate)) {
      s.daemon = fs::absolute(candidate).lexically_normal();
      return s;
    }
  }
  return std::string("backburnerd was found neither next to this program nor on PATH");
}

int run_service(Context& ctx, const ParsedArgs& args) {
  const std::string& sub = args.positionals[0];
  if (sub != "install" && sub != "uninstall" && sub != "status") {
    return ctx.fail("unknown service command \"" + sub +
                        "\" (install, uninstall or status)\n"
                        "Run 'backburner service --help' for usage.",
                    kExitUsage);
  }
  if (args.has("socket") && sub != "install") {
    return ctx.fail("--socket goes with `service install`", kExitUsage);
  }
  auto setup = make_setup(ctx, args);
  if (auto* msg = std::get_if<std::string>(&setup)) return ctx.fail(*msg);
  const ServiceSetup& s = std::get<ServiceSetup>(setup);
  const ServicePlan plan = sub == "install"     ? install_plan(s)
                           : sub == "uninstall" ? uninstall_plan(s)
                                                : status_plan(s);
  if (args.has("dry-run")) {
    print_plan(ctx, plan, "service " + sub + " --os " + to_string(s.os));
    return kExitOk;
  }
  if (s.os != host_service_os()) {
    return ctx.fail(std::string("this machine does not use ") + to_string(s.os) +
                    "'s service manager; --os " + to_string(s.os) + " works only with --dry-run");
  }
  return carry_out(ctx, plan, sub == "status");
}

}  // namespace

Command service_command() {
  Command c;
  CommandSpec& s = c.spec;
  s.name = "service";
  s.synopsis = "install|uninstall|status [OPTIONS]";
  s.summary = "Run the daemon as a user service (systemd, launchd, Windows)";
  s.description =
      "Without a service, the first backburner command (or backburner-mcp) starts the daemon\n"
      "on demand. As a service it starts at login, restarts after a crash, and runs outside\n"
      "any terminal's session. Either way, stopping the daemon never stops tasks.\n"
      "\n"
      "  install    write the service definition for this user and start it:\n"
      "             linux:   ~/.config/systemd/user/backburnerd.service, systemctl --user\n"
      "             macos:   ~/Library/LaunchAgents/"
      "dev.backburner.backburnerd.plist, launchctl\n"
      "             windows: a Scheduled Task at logon (packaging's install-service.ps1)\n"
      "             A daemon already running is stopped first (its tasks keep running and\n"
      "             the service's daemon adopts them). Running it again updates the service.\n"
      "  uninstall  stop and remove the service (tasks keep running)\n"
      "  status     the service manager's view (systemctl --user status, launchctl print)\n"
      "\n"
      "The service runs the backburnerd next to this program (or on PATH) and, when they are\n"
      "set, gets this shell's BACKBURNER_HOME and BACKBURNER_SOCKET so that it serves the\n"
      "state the clients use. --dry-run prints every file and command instead of acting.\n";
  s.options = {
      {"dry-run", 0, "", "print what would be written and run; change nothing"},
      {"socket", 0, "", "install: systemd socket activation (start on first connection)"},
      {"os", 0, "OS", "plan for linux, macos or windows (another OS: --dry-run only)"},
  };
  s.min_positionals = 1;
  s.max_positionals = 1;
  s.examples =
      "  backburner service install --dry-run\n"
      "  backburner service install && loginctl enable-linger \"$USER\"\n"
      "  backburner service install --dry-run --os macos\n";
  c.run = run_service;
  return c;
}

}  // namespace bb::cli
