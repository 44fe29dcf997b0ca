// The service definitions `backburner service install` writes, rendered from the templates in
// packaging/ (embedded at build time): the systemd user units and the launchd LaunchAgent.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace bb::cli {

inline constexpr const char* kSystemdServiceName = "backburnerd.service";
inline constexpr const char* kSystemdSocketName = "backburnerd.socket";
inline constexpr const char* kLaunchdLabel = "dev.backburner.backburnerd";  // as in the plist
inline constexpr const char* kWindowsTaskName = "backburnerd";  // as in the .ps1 scripts

struct UnitParams {
  std::string daemon_path;  // absolute path of backburnerd
  std::string socket_path;  // the socket clients connect to (systemd socket unit)
  std::string log_path;     // launchd: where the daemon's stdout and stderr go
  // Variables the daemon needs to find the same state as the clients (BACKBURNER_HOME...).
  std::vector<std::pair<std::string, std::string>> environment;
};

std::string systemd_service_unit(const UnitParams& p);
std::string systemd_socket_unit(const UnitParams& p);
std::string launchd_plist(const UnitParams& p);

// Escaping, exposed for tests.
std::string systemd_escape_specifiers(const std::string& s);  // % -> %%
std::string xml_escape(const std::string& s);

}  // namespace bb::cli
