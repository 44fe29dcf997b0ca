#include "browser_open.h"

#include <windows.h>
#include <shellapi.h>

#include <cstdlib>

namespace bb::cli {

std::string open_in_browser(const std::string& url, const EnvLookup& env) {
  if (auto b = env("BACKBURNER_BROWSER"); b && !b->empty()) {
    // The URL holds only [0-9a-z:/.?=]: quoting it is enough.
    const std::string cmd = "\"" + *b + "\" \"" + url + "\"";
    return std::system(cmd.c_str()) == 0 ? "" : "cannot run " + *b;
  }
  const auto r = reinterpret_cast<INT_PTR>(
      ShellExecuteA(nullptr, "open", url.c_str(), nullptr, nullptr, SW_SHOWNORMAL));
  if (r <= 32) return "Windows could not open the page (ShellExecute error " + std::to_string(r) + ")";
  return "";
}

}  // namespace bb::cli
