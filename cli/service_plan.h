// What `backburner service install|uninstall|status` does, as a list of steps decided before
// anything is touched: --dry-run prints the plan, a real run carries it out step by step. Plans
// are plain data for any of the three systems, so every one can be checked from any machine.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "state_paths.h"

namespace bb::cli {

enum class ServiceOs { linux_systemd, macos_launchd, windows_task };

const char* to_string(ServiceOs os);  // "linux", "macos", "windows"
std::optional<ServiceOs> service_os_from_string(std::string_view name);

struct PlanStep {
  enum class Kind {
    make_dir,     // create `path` (and parents) if missing
    write_file,   // write `content` to `path` (temp file + rename)
    remove_file,  // remove `path` if it exists
    run,          // run `argv`; a non-zero exit stops the plan unless `may_fail`
    stop_daemon,  // stop a running backburnerd of this state dir (tasks keep running)
  };
  Kind kind = Kind::run;
  std::filesystem::path path;
  std::string content;
  std::vector<std::string> argv;
  bool may_fail = false;
  std::string why;  // shown with the step; empty when the step speaks for itself
};

struct ServicePlan {
  std::vector<PlanStep> steps;
  std::vector<std::string> notes;  // printed after the steps
};

struct ServiceSetup {
  ServiceOs os = ServiceOs::linux_systemd;
  std::filesystem::path daemon;           // backburnerd to run
  std::filesystem::path windows_scripts;  // folder of install-service.ps1 / uninstall-service.ps1
  StatePaths paths;                       // the state the service's daemon must serve
  std::filesystem::path home;             // the user's home directory
  std::optional<std::filesystem::path> xdg_config_home;
  std::string uid;                 // numeric user id (launchctl's gui/<uid> domain)
  bool socket_activation = false;  // linux: enable backburnerd.socket instead of the service
  // BACKBURNER_HOME / BACKBURNER_SOCKET when set: the daemon must find what the clients find.
  std::vector<std::pair<std::string, std::string>> environment;
};

// Where the unit files or the plist go.
std::filesystem::path systemd_user_unit_dir(const ServiceSetup& s);
std::filesystem::path launchd_plist_path(const ServiceSetup& s);

ServicePlan install_plan(const ServiceSetup& s);
ServicePlan uninstall_plan(const ServiceSetup& s);
ServicePlan status_plan(const ServiceSetup& s);

}  // namespace bb::cli
