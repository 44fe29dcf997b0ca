#include "service_plan.h"

#include "service_units.h"

namespace bb::cli {

namespace fs = std::filesystem;
using Kind = PlanStep::Kind;

namespace {

PlanStep run(std::vector<std::string> argv, std::string why = {}, bool may_fail = false) {
  PlanStep s;
  s.kind = Kind::run;
  s.argv = std::move(argv);
  s.why = std::move(why);
  s.may_fail = may_fail;
  return s;
}

PlanStep file_step(Kind kind, fs::path path, std::string content = {}) {
  PlanStep s;
  s.kind = kind;
  s.path = std::move(path);
  s.content = std::move(content);
  return s;
}

PlanStep stop_daemon() {
  PlanStep s;
  s.kind = Kind::stop_daemon;
  s.why = "so that the service's daemon takes over the state dir; tasks keep running";
  return s;
}

UnitParams unit_params(const ServiceSetup& s) {
  UnitParams p;
  p.daemon_path = s.daemon.string();
  p.socket_path = s.paths.socket.string();
  p.log_path = s.paths.log_file.string();
  p.environment = s.environment;
  return p;
}

std::vector<std::string> systemctl(std::vector<std::string> args) {
  args.insert(args.begin(), {"systemctl", "--user"});
  return args;
}

std::string launchd_target(const ServiceSetup& s) { return "gui/" + s.uid + "/" + kLaunchdLabel; }

std::vector<std::string> powershell_file(const fs::path& script, std::vector<std::string> args) {
  std::vector<std::string> argv = {"powershell.exe",   "-NoProfile", "-NonInteractive",
                                   "-ExecutionPolicy", "Bypass",     "-File",
                                   script.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

const char* to_string(ServiceOs os) {
  switch (os) {
    case ServiceOs::linux_systemd:
      return "linux";
    case ServiceOs::macos_launchd:
      return "macos";
    case ServiceOs::windows_task:
      return "windows";
  }
  return "?";
}

std::optional<ServiceOs> service_os_from_string(std::string_view name) {
  if (name == "linux") return ServiceOs::linux_systemd;
  if (name == "macos") return ServiceOs::macos_launchd;
  if (name == "windows") return ServiceOs::windows_task;
  return std::nullopt;
}

fs::path systemd_user_unit_dir(const ServiceSetup& s) {
  const fs::path config = s.xdg_config_home ? *s.xdg_config_home : s.home / ".config";
  return config / "systemd" / "user";
}

fs::path launchd_plist_path(const ServiceSetup& s) {
  return s.home / "Library" / "LaunchAgents" / (std::string(kLaunchdLabel) + ".plist");
}

ServicePlan install_plan(const ServiceSetup& s) {
  ServicePlan plan;
  const UnitParams p = unit_params(s);
  switch (s.os) {
    case ServiceOs::linux_systemd: {
      const fs::path dir = systemd_user_unit_dir(s);
      const fs::path socket_unit = dir / kSystemdSocketName;
      plan.steps.push_back(file_step(Kind::make_dir, dir));
      plan.steps.push_back(
          file_step(Kind::write_file, dir / kSystemdServiceName, systemd_service_unit(p)));
      if (s.socket_activation) {
        plan.steps.push_back(file_step(Kind::write_file, socket_unit, systemd_socket_unit(p)));
      } else if (fs::exists(socket_unit)) {
        plan.steps.push_back(run(systemctl({"disable", "--now", kSystemdSocketName}),
                                 "socket activation was installed before", true));
        plan.steps.push_back(file_step(Kind::remove_file, socket_unit));
      }
      plan.steps.push_back(run(systemctl({"daemon-reload"})));
      plan.steps.push_back(stop_daemon());
      if (s.socket_activation) {
        plan.steps.push_back(run(systemctl({"stop", kSystemdServiceName}),
                                 "the socket unit starts it on the first connection", true));
        plan.steps.push_back(run(systemctl({"enable", "--now", kSystemdSocketName})));
      } else {
        plan.steps.push_back(run(systemctl({"enable", kSystemdServiceName})));
        plan.steps.push_back(
            run(systemctl({"restart", kSystemdServiceName}),
                "starts it, or restarts it with the new unit; tasks keep running"));
      }
      plan.notes.push_back(
          "systemd stops a user's services at logout unless lingering is on; to keep the daemon "
          "(and so the service's tasks) across logouts and from boot: loginctl enable-linger "
          "$USER");
      break;
    }
    case ServiceOs::macos_launchd: {
      const fs::path plist = launchd_plist_path(s);
      plan.steps.push_back(file_step(Kind::make_dir, plist.parent_path()));
      plan.steps.push_back(file_step(Kind::make_dir, s.paths.home));
      plan.steps.push_back(file_step(Kind::write_file, plist, launchd_plist(p)));
      plan.steps.push_back(stop_daemon());
      plan.steps.push_back(run({"launchctl", "bootout", launchd_target(s)},
                               "unload a previous version, if one is loaded", true));
      plan.steps.push_back(run({"launchctl", "enable", launchd_target(s)}));
      plan.steps.push_back(run({"launchctl", "bootstrap", "gui/" + s.uid, plist.string()}));
      break;
    }
    case ServiceOs::windows_task:
      plan.steps.push_back(run(powershell_file(s.windows_scripts / "install-service.ps1",
                                               {"-Daemon", s.daemon.string()}),
                               "register the Scheduled Task \"" + std::string(kWindowsTaskName) +
                                   "\" (at logon, this user) and run it now"));
      break;
  }
  return plan;
}

ServicePlan uninstall_plan(const ServiceSetup& s) {
  ServicePlan plan;
  switch (s.os) {
    case ServiceOs::linux_systemd: {
      const fs::path dir = systemd_user_unit_dir(s);
      plan.steps.push_back(
          run(systemctl({"disable", "--now", kSystemdSocketName, kSystemdServiceName}),
              "stops the daemon; tasks keep running", true));
      plan.steps.push_back(file_step(Kind::remove_file, dir / kSystemdSocketName));
      plan.steps.push_back(file_step(Kind::remove_file, dir / kSystemdServiceName));
      plan.steps.push_back(run(systemctl({"daemon-reload"})));
      break;
    }
    case ServiceOs::macos_launchd:
      plan.steps.push_back(run({"launchctl", "bootout", launchd_target(s)},
                               "stops the daemon; tasks keep running", true));
      plan.steps.push_back(file_step(Kind::remove_file, launchd_plist_path(s)));
      break;
    case ServiceOs::windows_task:
      plan.steps.push_back(run(powershell_file(s.windows_scripts / "uninstall-service.ps1", {}),
                               "unregister the Scheduled Task; a running daemon and its tasks keep "
                               "running"));
      break;
  }
  plan.notes.push_back("Clients start a daemon of their own again when they need one.");
  return plan;
}

ServicePlan status_plan(const ServiceSetup& s) {
  ServicePlan plan;
  switch (s.os) {
    case ServiceOs::linux_systemd:
      plan.steps.push_back(
          run(systemctl({"status", "--no-pager", kSystemdServiceName, kSystemdSocketName})));
      break;
    case ServiceOs::macos_launchd:
      plan.steps.push_back(run({"launchctl", "print", launchd_target(s)}));
      break;
    case ServiceOs::windows_task:
      plan.steps.push_back(
          run({"schtasks.exe", "/Query", "/TN", kWindowsTaskName, "/V", "/FO", "LIST"}));
      break;
  }
  return plan;
}

}  // namespace bb::cli
