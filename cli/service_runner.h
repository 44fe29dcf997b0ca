// Carrying out a service plan, or (dry run) printing it. Each step is printed as it is done, so
// the user sees exactly which files were written and which commands ran.
#pragma once

#include <string>

#include "context.h"
#include "service_plan.h"

namespace bb::cli {

// Prints the plan without doing anything: every file with its full content, every command
// (shell-quoted, so it can be run by hand), then the notes.
void print_plan(Context& ctx, const ServicePlan& plan, const std::string& what);

// Carries the plan out, stopping at the first step that fails (except may_fail commands).
// Returns the exit status: 0, 1 on a failed step, or (`pass_status`) the last command's own
// status, as `service status` reports systemctl's.
int carry_out(Context& ctx, const ServicePlan& plan, bool pass_status = false);

// `word` quoted for a POSIX shell when it needs to be.
std::string shell_word(const std::string& word);

}  // namespace bb::cli
