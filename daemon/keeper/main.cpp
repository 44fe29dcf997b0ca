// backburner-keeper: supervises one task for backburnerd. See keeper.h.
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include "keeper.h"
#include "keeper_options.h"
#include "os.h"

int main(int argc, char** argv) {
  using namespace bb::keeper;
  // UTF-8 on every platform (the command and the paths may hold any character).
  const std::vector<std::string> args = bb::os::arguments(argc, argv);
  std::vector<const char*> utf8_argv = {argc > 0 ? argv[0] : "backburner-keeper"};
  for (const auto& a : args) utf8_argv.push_back(a.c_str());
  auto parsed = parse_keeper_args(static_cast<int>(utf8_argv.size()), utf8_argv.data());
  if (std::holds_alternative<HelpRequested>(parsed)) {
    std::fputs(keeper_usage(), stdout);
    return 0;
  }
  if (auto* err = std::get_if<UsageError>(&parsed)) {
    std::fprintf(stderr, "backburner-keeper: %s\n%s", err->message.c_str(), keeper_usage());
    return 2;
  }
  return run_keeper(std::get<KeeperOptions>(parsed));
}
