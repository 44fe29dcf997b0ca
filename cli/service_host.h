// The platform part of `backburner service`: which service system this machine has, who the
// user is, and running the system's own tools (systemctl, launchctl, powershell).
#pragma once

#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "service_plan.h"

namespace bb::cli {

ServiceOs host_service_os();
std::string current_uid();

// This executable's directory (to find backburnerd and the installed scripts next to it).
std::filesystem::path own_directory();

// Runs argv[0] (looked up on PATH) with our stdin, stdout and stderr, and waits for it.
// Returns its exit status (128+N if a signal killed it) or why it could not be run.
std::variant<int, std::string> run_command(const std::vector<std::string>& argv);

}  // namespace bb::cli
