#include "command_policy.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>

#include "re2_errors.h"

namespace bb {

namespace {

RE2::Options policy_options(std::int64_t max_mem) {
  RE2::Options o;
  o.set_case_sensitive(false);
  o.set_log_errors(false);  // errors are returned, never logged by RE2 to our stderr
  o.set_max_mem(max_mem);
  return o;
}

struct List {
  std::vector<std::string> patterns;  // in order: a pattern's index here is its index in `set`
  std::unique_ptr<RE2::Set> set;      // null when there are no patterns
};

std::string joined(const std::vector<std::string>& patterns) {
  std::string out;
  for (const auto& p : patterns) out += (out.empty() ? "" : ",") + p;
  return out;
}

std::string quoted(const std::vector<std::string>& patterns) {
  std::string out;
  for (const auto& p : patterns) out += (out.empty() ? "\"" : ", \"") + p + "\"";
  return out;
}

enum class Found { yes, no, failed };

struct Search {
  Found found = Found::no;
  std::size_t first = 0;  // when found: the lowest index of a matching pattern
};

// One pass over the command for the whole list. `which`: also learn which patterns matched
// (the DFA then runs to the end of the command instead of stopping at the first match).
Search search(const List& list, std::string_view command, bool which) {
  std::vector<int> hits;
  RE2::Set::ErrorInfo info{RE2::Set::kNoError};
  const re2::StringPiece text(command.data(), command.size());
  if (list.set->Match(text, which ? &hits : nullptr, &info)) {
    Search s{Found::yes, 0};
    if (!hits.empty())
      s.first = static_cast<std::size_t>(*std::min_element(hits.begin(), hits.end()));
    return s;
  }
  return {info.kind == RE2::Set::kNoError ? Found::no : Found::failed, 0};
}

}  // namespace

struct CommandPolicy::Impl {
  std::string source;
  List allow;
  List deny;
};

CommandPolicy::CommandPolicy() : impl_(std::make_unique<Impl>()) {}
CommandPolicy::~CommandPolicy() = default;
CommandPolicy::CommandPolicy(CommandPolicy&&) noexcept = default;
CommandPolicy& CommandPolicy::operator=(CommandPolicy&&) noexcept = default;

bool CommandPolicy::empty() const { return !impl_->allow.set && !impl_->deny.set; }

std::variant<CommandPolicy, std::string> CommandPolicy::compile(const proto::Policy& policy,
                                                                std::string source) {
  CommandPolicy out;
  out.impl_->source = std::move(source);
  const std::string& src = out.impl_->source;
  int program_size = 0;
  std::string largest;
  int largest_size = 0;

  // Each pattern is compiled alone first, so that an error names it; then the list as a set.
  auto add = [&](const std::vector<std::string>& patterns, List& into,
                 const char* list) -> std::optional<std::string> {
    for (const auto& text : patterns)
      if (!text.empty()) into.patterns.push_back(text);
    if (into.patterns.empty()) return std::nullopt;
    const std::string what = src + " " + list;
    if (into.patterns.size() > proto::kMaxPolicyPatterns)
      return "the " + what + " list has " + std::to_string(into.patterns.size()) +
             " patterns; the limit is " + std::to_string(proto::kMaxPolicyPatterns);
    into.set = std::make_unique<RE2::Set>(policy_options(kPolicyListMaxMem), RE2::UNANCHORED);
    for (const auto& text : into.patterns) {
      if (text.size() > proto::kMaxPolicyPatternBytes)
        return "invalid " + what + " pattern \"" + text + "\": it is " +
               std::to_string(text.size()) + " bytes; the limit is " +
               std::to_string(proto::kMaxPolicyPatternBytes) + " bytes";
      const RE2 re(text, policy_options(kPolicyPatternMaxMem));
      if (!re.ok()) return "invalid " + what + " pattern \"" + text +
               "\": " + re2_error_text(re, kPolicyPatternMaxMem);
      program_size += re.ProgramSize();
      if (re.ProgramSize() > largest_size) {
        largest_size = re.ProgramSize();
        largest = text;
      }
      std::string error;
      if (into.set->Add(text, &error) < 0)
        return "invalid " + what + " pattern \"" + text + "\": " + error;
    }
    return std::nullopt;
  };
  if (auto err = add(policy.allow, out.impl_->allow, "allow")) return *err;
  if (auto err = add(policy.deny, out.impl_->deny, "deny")) return *err;

  if (program_size > kMaxPolicyProgramSize)
    return "the " + src + " policy is too large to match quickly: its patterns compile to " +
           std::to_string(program_size) + " RE2 instructions and the limit is " +
           std::to_string(kMaxPolicyProgramSize) + " (" + kRe2ProgramSizeHint +
           "); the largest is \"" + largest + "\" (" + std::to_string(largest_size) + ")";
  for (auto [list, name] : {std::pair{&out.impl_->allow, "allow"}, {&out.impl_->deny, "deny"}}) {
    if (!list->set) continue;
    // A set whose DFA cannot even start would refuse every command: refuse the policy now.
    RE2::Set::ErrorInfo info{RE2::Set::kNoError};
    if (!list->set->Compile() || (!list->set->Match("", nullptr, &info) &&
                                  info.kind != RE2::Set::kNoError))
      return "the " + src + " " + name + " patterns are too large to compile together (RE2's " +
             "memory budget is " + std::to_string(kPolicyListMaxMem >> 20) + " MiB per list)";
  }
  return out;
}

std::optional<PolicyRefusal> CommandPolicy::check(std::string_view command) const {
  const std::string& src = impl_->source;
  const std::string env = src == "daemon" ? "the daemon's" : "the client's";
  if (const List& deny = impl_->deny; deny.set) {
    const Search s = search(deny, command, true);
    if (s.found == Found::yes) {
      const std::string& p = deny.patterns[s.first];
      return PolicyRefusal{"command refused: it matches deny pattern \"" + p + "\" of " + env +
                               " BACKBURNER_DENY",
                           p, "deny", src, {}};
    }
    if (s.found == Found::failed)
      return PolicyRefusal{"command refused: the deny patterns of " + env + " BACKBURNER_DENY (" +
                               quoted(deny.patterns) +
                               ") could not be evaluated on this command (RE2 ran out of memory)",
                           joined(deny.patterns), "deny", src, deny.patterns};
  }
  const List& allow = impl_->allow;
  if (!allow.set) return std::nullopt;
  const Search s = search(allow, command, false);
  if (s.found == Found::yes) return std::nullopt;
  const std::string listed = " BACKBURNER_ALLOW (" + quoted(allow.patterns) + ")";
  std::string message =
      s.found == Found::failed
          ? "command refused: the allow patterns of " + env + listed +
                " could not be evaluated on this command (RE2 ran out of memory)"
          : "command refused: it matches none of the allow patterns of " + env + listed;
  return PolicyRefusal{std::move(message), joined(allow.patterns), "allow", src, allow.patterns};
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
