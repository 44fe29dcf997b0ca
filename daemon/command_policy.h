// Command policy: which commands may run. Patterns are regular expressions in RE2 syntax,
// searched anywhere in the command, case-insensitive. A command runs only if it matches no
// deny pattern and, when the allow list is non-empty, at least one allow pattern.
//
// Matching is RE2's: no backtracking, so the time one check takes is linear in the command's
// length, whatever the patterns. The factor is what the patterns compile to, which
// kMaxPolicyProgramSize bounds. Each list is one RE2::Set, matched in one pass.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol.h"

namespace bb {

// The sum of RE2's program sizes of a policy's patterns (both lists) may not exceed this.
// A program size is about one per literal character or ASCII class; "." costs about 12 (it
// decodes UTF-8) and a Unicode class such as \pL about 1,200. Realistic patterns cost 8 to 100.
// Matching costs at most a few tens of nanoseconds per command byte and program instruction
// when a crafted policy defeats RE2's DFA cache, so this bound is what keeps the worst check of
// a 128 KiB command to seconds (see docs/PERFORMANCE.md) rather than minutes.
inline constexpr int kMaxPolicyProgramSize = 1024;
// RE2's memory budget for one pattern compiled alone (to name it if it is too large), and for
// one list's RE2::Set: its program plus the DFA's state cache.
inline constexpr std::int64_t kPolicyPatternMaxMem = 1 << 20;
inline constexpr std::int64_t kPolicyListMaxMem = 4 << 20;

struct PolicyRefusal {
  std::string message;  // for the user: which rule refused and why
  std::string rule;     // the deny pattern that matched, or the list joined with commas
  std::string list;     // "allow" or "deny"
  std::string source;   // "daemon" or "client"
  std::vector<std::string> patterns;  // allow refusals: the allow list itself
};

class CommandPolicy {
 public:
  CommandPolicy();  // allows everything
  ~CommandPolicy();
  CommandPolicy(CommandPolicy&&) noexcept;
  CommandPolicy& operator=(CommandPolicy&&) noexcept;

  // Compiles the patterns; an error names the pattern that does not compile and why (RE2
  // refuses backreferences and lookaround), or says which bound the policy exceeds
  // (kMaxPolicyPatterns, kMaxPolicyPatternBytes, kMaxPolicyProgramSize).
  // `source` ("daemon" / "client") is named in refusals.
  static std::variant<CommandPolicy, std::string> compile(const proto::Policy& policy,
                                                          std::string source);

  // The refusal, or nullopt when the command may run. Fails closed: if RE2 cannot evaluate a
  // list on this command (its DFA runs out of memory, which the bounds make all but
  // impossible), the command is refused, saying so.
  std::optional<PolicyRefusal> check(std::string_view command) const;

  bool empty() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Deny wins: the command must pass every policy.
std::optional<PolicyRefusal> check_policies(std::string_view command,
                                            const std::vector<const CommandPolicy*>& policies);

}  // namespace bb
