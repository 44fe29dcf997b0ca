// Request parsing: every params and result type of the daemon protocol (common/protocol.h) read
// from arbitrary JSON. Input: one byte choosing the type, then the JSON text.
// Invariants: reading either refuses with a ParamsError (never another exception or a crash) or
// gives a value whose JSON reads back to the same JSON (a round trip is stable).
#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "json_guard.h"
#include "protocol.h"

namespace {

using nlohmann::json;

template <typename T>
void round_trip(const json& j) {
  T value;
  try {
    value = j.get<T>();
  } catch (const bb::proto::ParamsError& e) {
    BB_FUZZ_CHECK(!e.message.empty());
    return;
  }
  const json once = value;
  T again = once.get<T>();
  BB_FUZZ_CHECK(json(again) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  using namespace bb::proto;
  if (size < 1) return 0;
  const std::string_view text = bb::fuzz::as_text(data + 1, size - 1);
  // The daemon refuses deep nesting before it parses; so does this.
  if (bb::json_nesting_too_deep(text)) return 0;
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  switch (data[0] % 16) {
    case 0: round_trip<HelloParams>(j); break;
    case 1: round_trip<StartParams>(j); break;
    case 2: round_trip<TaskIdParams>(j); break;
    case 3: round_trip<OutputParams>(j); break;
    case 4: round_trip<ListParams>(j); break;
    case 5: round_trip<WaitParams>(j); break;
    case 6: round_trip<InputParams>(j); break;
    case 7: round_trip<PruneParams>(j); break;
    case 8: round_trip<SubscribeParams>(j); break;
    case 9: round_trip<TaskView>(j); break;
    case 10: round_trip<OutputResult>(j); break;
    case 11: round_trip<WaitResult>(j); break;
    case 12: round_trip<ListResult>(j); break;
    case 13: round_trip<Event>(j); break;
    case 14: round_trip<DaemonInfo>(j); break;
    default: round_trip<CancelResult>(j); break;
  }
  return 0;
}
