#include "terminal.h"

#include "command_line.h"

namespace bb::cli {

std::string Style::paint(std::string_view text, Colour c) const {
  if (!colour_) return std::string(text);
  const char* code = "";
  switch (c) {
    case Colour::red:
      code = "31";
      break;
    case Colour::green:
      code = "32";
      break;
    case Colour::yellow:
      code = "33";
      break;
    case Colour::blue:
      code = "34";
      break;
    case Colour::magenta:
      code = "35";
      break;
    case Colour::cyan:
      code = "36";
      break;
    case Colour::dim:
      code = "2";
      break;
    case Colour::bold:
      code = "1";
      break;
  }
  return "\x1b[" + std::string(code) + "m" + std::string(text) + "\x1b[0m";
}

Terminal detect_terminal(const EnvLookup& env) {
  Terminal t;
  t.stdout_tty = is_terminal(StdStream::out);
  t.stderr_tty = is_terminal(StdStream::err);
  // process_env() reports an empty variable as unset, which is what NO_COLOR asks for.
  const bool colour_allowed = !env("NO_COLOR") && env("TERM").value_or("") != "dumb";
  t.out = Style(t.stdout_tty && colour_allowed);
  t.err = Style(t.stderr_tty && colour_allowed);
  if (t.stdout_tty) {
    t.columns = terminal_columns(StdStream::out);
    if (t.columns == 0) {
      if (auto c = env("COLUMNS"))
        t.columns = static_cast<int>(parse_integer(*c, 1, 10000).value_or(0));
    }
  }
  return t;
}

}  // namespace bb::cli
