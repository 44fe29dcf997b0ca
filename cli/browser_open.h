// Opens a URL in the user's web browser (backburner dashboard --open). Platform part:
// browser_open_<platform>.cpp: xdg-open (or `open` on macOS) on POSIX, the shell's default
// handler on Windows.
#pragma once

#include <string>

#include "state_paths.h"

namespace bb::cli {

// Empty on success (the opener accepted the URL), else why not, for a person.
// BACKBURNER_BROWSER, when set, names the program to run instead (it gets the URL as its only
// argument).
std::string open_in_browser(const std::string& url, const EnvLookup& env);

}  // namespace bb::cli
