// Command-line parsing for the backburner CLI: each command declares its options once, and the
// same declaration drives both parsing and its --help text, so the two cannot drift.
#pragma once

#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace bb::cli {

struct OptionSpec {
  std::string long_name;   // "follow" for --follow
  char short_name = 0;     // 'f' for -f; 0: none
  std::string value_name;  // "N" for --tail N; empty: a flag without a value
  std::string help;        // one line, for people
  bool repeatable = false;  // may be given several times (all values kept, see ParsedArgs::all)
};

struct CommandSpec {
  std::string name;                 // "logs", or "daemon stop" for a subcommand
  std::string synopsis;             // "[OPTIONS] ID", shown after "backburner <name>"
  std::string summary;              // one line for `backburner --help`
  std::string description;          // paragraphs shown by `<command> --help`
  std::vector<OptionSpec> options;  // --help is always accepted and need not be listed
  std::size_t min_positionals = 0;
  std::size_t max_positionals = std::numeric_limits<std::size_t>::max();
  // `backburner start make -j8`: the first word that is not an option ends the options, so the
  // command's own flags are never taken for ours.
  bool options_end_at_first_positional = false;
  std::string examples;  // optional; shown last in --help
};

struct ParsedArgs {
  std::map<std::string, std::string> values;  // long name -> value ("" for a flag)
  std::map<std::string, std::vector<std::string>> repeated;  // repeatable options, in order
  std::vector<std::string> positionals;
  bool help = false;  // --help / -h was given: the caller prints the help and stops

  bool has(const std::string& long_name) const { return values.count(long_name) > 0; }
  std::optional<std::string> value(const std::string& long_name) const;
  // Every value a repeatable option was given, in order.
  std::vector<std::string> all(const std::string& long_name) const;
};

struct UsageError {
  std::string message;  // what was wrong, without the program name
};

// Parses `args` (the words after the command name). Options may come as --name value,
// --name=value, -x value, or -x; "--" ends the options. The last of a repeated option wins,
// unless it is declared repeatable.
std::variant<ParsedArgs, UsageError> parse_args(const CommandSpec& spec,
                                                const std::vector<std::string>& args);

// The command's --help text: usage line, description, options, examples.
std::string render_help(const CommandSpec& spec);

// Parses a whole number in [min, max]; nullopt if the text is not one.
std::optional<long long> parse_integer(const std::string& text, long long min, long long max);

// Parses a duration: plain seconds ("90", "2.5") or a number with a unit ("30s", "10m", "2h",
// "1d"); must be > 0. nullopt if the text is not one.
std::optional<double> parse_duration_seconds(const std::string& text);

}  // namespace bb::cli
