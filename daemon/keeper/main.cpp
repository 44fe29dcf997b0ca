// backburner-keeper: supervises one task for backburnerd. See keeper.h.
#include <cstdio>
#include <variant>

#include "keeper.h"
#include "keeper_options.h"

int main(int argc, char** argv) {
  using namespace bb::keeper;
  auto parsed = parse_keeper_args(argc, argv);
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
