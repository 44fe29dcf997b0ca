#include "command_policy.h"

#include <boost/regex.hpp>

namespace bb {

namespace {

struct Pattern {
  std::string text;
  boost::regex re;
};

enum class Match { yes, no, too_complex };

Match search(const Pattern& p, std::string_view command) {
  try {
    return boost::regex_search(command.begin(), command.end(), p.re) ? Match::yes : Match::no;
  } catch (const std::runtime_error&) {
    // Boost.Regex gives up (rather than recursing or looping) past its complexity limits.
    return Match::too_complex;
  }
}

}  // namespace

struct CommandPolicy::Impl {
  std::string source;
  std::vector<Pattern> allow;
  std::vector<Pattern> deny;
};

CommandPolicy::CommandPolicy() : impl_(std::make_unique<Impl>()) {}
CommandPolicy::~CommandPolicy() = default;
CommandPolicy::CommandPolicy(CommandPolicy&&) noexcept = default;
CommandPolicy& CommandPolicy::operator=(CommandPolicy&&) noexcept = default;

bool CommandPolicy::empty() const { return impl_->allow.empty() && impl_->deny.empty(); }

std::variant<CommandPolicy, std::string> CommandPolicy::compile(const proto::Policy& policy,
                                                                std::string source) {
  CommandPolicy out;
  out.impl_->source = std::move(source);
  auto add = [&](const std::vector<std::string>& patterns, std::vector<Pattern>& into,
                 const char* list) -> std::optional<std::string> {
    for (const auto& text : patterns) {
      if (text.empty()) continue;
      try {
        into.push_back(Pattern{text, boost::regex(text, boost::regex::perl | boost::regex::icase)});
      } catch (const boost::regex_error& e) {
        return "invalid " + out.impl_->source + " " + list + " pattern \"" + text +
               "\": " + e.what();
      }
    }
    return std::nullopt;
  };
  if (auto err = add(policy.allow, out.impl_->allow, "allow")) return *err;
  if (auto err = add(policy.deny, out.impl_->deny, "deny")) return *err;
  return out;
}

std::optional<PolicyRefusal> CommandPolicy::check(std::string_view command) const {
  const std::string& src = impl_->source;
  const std::string env = src == "daemon" ? "the daemon's" : "the client's";
  for (const auto& p : impl_->deny) {
    switch (search(p, command)) {
      case Match::yes:
        return PolicyRefusal{"command refused: it matches deny pattern \"" + p.text + "\" of " +
                                 env + " BACKBURNER_DENY",
                             p.text, "deny", src, {}};
      case Match::too_complex:
        return PolicyRefusal{"command refused: deny pattern \"" + p.text + "\" of " + env +
                                 " BACKBURNER_DENY is too complex to evaluate on this command",
                             p.text, "deny", src, {}};
      case Match::no:
        break;
    }
  }
  if (impl_->allow.empty()) return std::nullopt;
  for (const auto& p : impl_->allow)
    if (search(p, command) == Match::yes) return std::nullopt;
  std::string quoted, joined;
  std::vector<std::string> patterns;
  for (const auto& p : impl_->allow) {
    quoted += (quoted.empty() ? "\"" : ", \"") + p.text + "\"";
    joined += (joined.empty() ? "" : ",") + p.text;
    patterns.push_back(p.text);
  }
  return PolicyRefusal{"command refused: it matches none of the allow patterns of " + env +
                           " BACKBURNER_ALLOW (" + quoted + ")",
                       joined, "allow", src, patterns};
}

std::optional<PolicyRefusal> check_policies(std::string_view command,
                                            const std::vector<const CommandPolicy*>& policies) {
  // Deny wins: any deny match refuses, whatever any allow list says.
  std::optional<PolicyRefusal> allow_refusal;
  for (const auto* p : policies) {
    auto r = p->check(command);
    if (!r) continue;
    if (r->list == "deny") return r;
    if (!allow_refusal) allow_refusal = r;
  }
  return allow_refusal;
}

}  // namespace bb
