#include "policy_config.h"

namespace bb {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<std::string> split_policy_list(std::string_view list) {
  std::vector<std::string> items;
  while (true) {
    const auto comma = list.find(',');
    const auto item = trim(list.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return items;
}

proto::Policy policy_from_env(const EnvLookup& env) {
  proto::Policy policy;
  if (auto allow = env("BACKBURNER_ALLOW")) policy.allow = split_policy_list(*allow);
  if (auto deny = env("BACKBURNER_DENY")) policy.deny = split_policy_list(*deny);
  return policy;
}

}  // namespace bb
