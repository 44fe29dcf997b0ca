#include "command_line.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace bb::cli {

namespace {

const OptionSpec* find_long(const CommandSpec& spec, const std::string& name) {
  for (const auto& o : spec.options)
    if (o.long_name == name) return &o;
  return nullptr;
}

const OptionSpec* find_short(const CommandSpec& spec, char c) {
  for (const auto& o : spec.options)
    if (o.short_name == c) return &o;
  return nullptr;
}

std::string plural_args(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " argument" : " arguments");
}

}  // namespace

std::optional<std::string> ParsedArgs::value(const std::string& long_name) const {
  auto it = values.find(long_name);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> ParsedArgs::all(const std::string& long_name) const {
  auto it = repeated.find(long_name);
  return it == repeated.end() ? std::vector<std::string>{} : it->second;
}

std::variant<ParsedArgs, UsageError> parse_args(const CommandSpec& spec,
                                                const std::vector<std::string>& args) {
  ParsedArgs out;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      out.positionals.push_back(a);
      if (spec.options_end_at_first_positional) options_done = true;
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      out.help = true;
      continue;
    }
    const OptionSpec* opt = nullptr;
    std::optional<std::string> inline_value;
    std::string shown;  // the option as the user wrote it, for messages
    if (a.rfind("--", 0) == 0) {
      const auto eq = a.find('=');
      const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (eq != std::string::npos) inline_value = a.substr(eq + 1);
      opt = find_long(spec, name);
      shown = "--" + name;
    } else {
      // A negative number is a positional (e.g. a value), never a cluster of short flags.
      if (std::isdigit(static_cast<unsigned char>(a[1])) != 0) {
        out.positionals.push_back(a);
        continue;
      }
      opt = find_short(spec, a[1]);
      shown = a.substr(0, 2);
      if (a.size() > 2) inline_value = a.substr(2);  // -n5
      if (opt != nullptr && opt->value_name.empty() && inline_value) {
        return UsageError{"unknown option " + a + " (short options cannot be combined)"};
      }
    }
    if (opt == nullptr) return UsageError{"unknown option " + shown};
    if (opt->value_name.empty()) {
      if (inline_value) return UsageError{shown + " takes no value"};
      out.values[opt->long_name] = "";
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size())
        return UsageError{shown + " needs a value (" + opt->value_name + ")"};
      inline_value = args[++i];
    }
    out.values[opt->long_name] = *inline_value;
    if (opt->repeatable) out.repeated[opt->long_name].push_back(*inline_value);
  }
  if (out.help) return out;
  const std::size_t n = out.positionals.size();
  if (n < spec.min_positionals) {
    return UsageError{std::string("expected ") +
                      (spec.min_positionals == spec.max_positionals ? "" : "at least ") +
                      plural_args(spec.min_positionals) + " (" + spec.synopsis + "), got " +
                      std::to_string(n)};
  }
  if (n > spec.max_positionals) {
    return UsageError{spec.max_positionals == 0
                          ? "unexpected argument \"" + out.positionals.front() + "\""
                          : "expected at most " + plural_args(spec.max_positionals) + " (" +
                                spec.synopsis + "), got " + std::to_string(n)};
  }
  return out;
}

std::string render_help(const CommandSpec& spec) {
  std::string h = "Usage: backburner " + spec.name;
  if (!spec.synopsis.empty()) h += " " + spec.synopsis;
  h += "\n\n" + spec.summary + "\n";
  if (!spec.description.empty()) h += "\n" + spec.description;
  if (!h.empty() && h.back() != '\n') h += '\n';

  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& o : spec.options) {
    std::string left = o.short_name ? std::string("-") + o.short_name + ", " : "    ";
    left += "--" + o.long_name;
    if (!o.value_name.empty()) left += " " + o.value_name;
    rows.emplace_back(std::move(left), o.help);
  }
  rows.emplace_back("-h, --help", "show this help");
  std::size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.first.size());
  h += "\nOptions:\n";
  for (const auto& [left, help] : rows) {
    h += "  " + left + std::string(width - left.size() + 2, ' ') + help + "\n";
  }
  if (!spec.examples.empty()) {
    h += "\nExamples:\n" + spec.examples;
    if (h.back() != '\n') h += '\n';
  }
  return h;
}

std::optional<long long> parse_integer(const std::string& text, long long min, long long max) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0' || v < min || v > max) return std::nullopt;
  return v;
}

std::optional<double> parse_duration_seconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || end == text.c_str() || !std::isfinite(v)) return std::nullopt;
  const std::string unit(end);
  if (unit.empty() || unit == "s") {
  } else if (unit == "m") {
    v *= 60;
  } else if (unit == "h") {
    v *= 3600;
  } else if (unit == "d") {
    v *= 86400;
  } else {
    return std::nullopt;
  }
  if (!(v > 0)) return std::nullopt;
  return v;
}

}  // namespace bb::cli
