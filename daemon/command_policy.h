// Command policy: which commands may run. Patterns are regular expressions (Perl syntax),
// searched anywhere in the command, case-insensitive. A command runs only if it matches no
// deny pattern and, when the allow list is non-empty, at least one allow pattern.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol.h"

namespace bb {

struct PolicyRefusal {
  std::string message;  // for the user: which rule refused and why
  std::string rule;     // the deny pattern that matched, or the allow list joined with commas
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

  // Compiles the patterns; an error names the pattern that does not compile and why.
  // `source` ("daemon" / "client") is named in refusals.
  static std::variant<CommandPolicy, std::string> compile(const proto::Policy& policy,
                                                          std::string source);

  // The refusal, or nullopt when the command may run. A pattern too complex to evaluate
  // against this command refuses it (fail closed), saying so.
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
