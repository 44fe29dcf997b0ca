#include "shell_words.h"

namespace bb::cli {

namespace {
bool literal(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
}
}  // namespace

std::string shell_quote(const std::string& word) {
  bool plain = !word.empty();
  for (char c : word) plain = plain && literal(c);
  if (plain) return word;
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string command_from_words(const std::vector<std::string>& words) {
  if (words.size() == 1) return words[0];
  std::string command;
  for (const auto& w : words) command += (command.empty() ? "" : " ") + shell_quote(w);
  return command;
}

}  // namespace bb::cli
