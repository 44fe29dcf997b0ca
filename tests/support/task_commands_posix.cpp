#include <cctype>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "paths.h"
#include "task_commands.h"

namespace bb::test::cmd {

namespace {
std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}
}  // namespace

std::string succeed() { return "true"; }
std::string exit_with(int code) { return "exit " + std::to_string(code); }
std::string sleep(double seconds) { return "sleep " + number(seconds); }
std::string print_line(const std::string& word) { return "echo " + word; }
std::string print_bytes(long count) { return "head -c " + std::to_string(count) + " /dev/zero"; }
std::string print_lines(long count, const std::string& text, double interval) {
  return "i=1; while [ $i -le " + std::to_string(count) + " ]; do echo " + shell_quote(text) +
         " $i; i=$((i+1));" + (interval > 0 ? " sleep " + number(interval) + ";" : "") + " done";
}
std::string count(long first, long last) {
  return "seq " + std::to_string(first) + " " + std::to_string(last);
}
std::string print_text(const std::string& bytes) {
  // printf's format: every byte but letters, digits and a few safe marks as an octal escape.
  std::string format;
  for (unsigned char c : bytes) {
    if (std::isalnum(c) || (c != 0 && std::strchr(" .,:/=_-+", c) != nullptr)) {
      format += static_cast<char>(c);
    } else {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\%03o", c);
      format += esc;
    }
  }
  return "printf '" + format + "'";
}
std::string copy_stdin() { return "cat; echo eof"; }
std::string wait_for_file(const std::filesystem::path& file, double) {
  return "while [ ! -e " + shell_quote(file.string()) + " ]; do sleep 0.05; done";
}
std::string then(const std::string& first, const std::string& second) {
  return first + "; " + second;
}

}  // namespace bb::test::cmd
