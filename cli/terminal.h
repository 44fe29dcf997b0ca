// What the CLI's streams are connected to, and the colours it may use there.
// Colour and live (redrawn) lines appear only on a terminal: output sent to a file, a pipe or
// another program is plain text. NO_COLOR (https://no-color.org: set and not empty) and
// TERM=dumb turn colour off even on a terminal.
#pragma once

#include <string>
#include <string_view>

#include "state_paths.h"

namespace bb::cli {

enum class Colour { red, green, yellow, blue, magenta, cyan, dim, bold };

class Style {
 public:
  explicit Style(bool colour = false) : colour_(colour) {}
  bool enabled() const { return colour_; }
  // `text` wrapped in the colour's escape sequences, or unchanged when colour is off.
  std::string paint(std::string_view text, Colour c) const;

 private:
  bool colour_;
};

struct Terminal {
  bool stdout_tty = false;
  bool stderr_tty = false;
  int columns = 0;  // stdout's width when it is a terminal; 0 when unknown
  Style out;        // for stdout
  Style err;        // for stderr
};

// Inspects fds 1 and 2 and the environment (NO_COLOR, TERM, COLUMNS).
Terminal detect_terminal(const EnvLookup& env);

// Platform part (terminal_<platform>.cpp).
enum class StdStream { out, err };
bool is_terminal(StdStream stream);
int terminal_columns(StdStream stream);  // 0 when unknown

}  // namespace bb::cli
