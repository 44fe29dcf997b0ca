#include <sstream>

#include "paths.h"
#include "task_commands.h"
#include "utf8_path.h"

namespace bb::test::cmd {

namespace {
std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}
// cmd.exe has no sleep, and its echo ends lines with "\r\n": the test child does these.
std::string child(const std::string& args) {
  return shell_quote(path_utf8(test_child())) + " " + args;
}
}  // namespace

std::string succeed() { return "exit 0"; }
std::string exit_with(int code) { return "exit " + std::to_string(code); }
std::string sleep(double seconds) { return child("sleep " + number(seconds)); }
std::string print_line(const std::string& word) { return child("args " + word); }
std::string print_bytes(long count) { return child("bytes " + std::to_string(count)); }
std::string print_lines(long count, const std::string& text, double interval) {
  return child("print " + std::to_string(count) + " " + text +
               (interval > 0 ? " " + number(interval) : ""));
}
std::string count(long first, long last) {
  return child("seq " + std::to_string(first) + " " + std::to_string(last));
}
std::string print_text(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex += digits[c >> 4];
    hex += digits[c & 15];
  }
  return child("hex " + hex);
}
std::string copy_stdin() { return child("read-stdin"); }
std::string wait_for_file(const std::filesystem::path& file, double seconds) {
  return child("wait-for " + shell_quote(path_utf8(file)) + " " + number(seconds));
}
std::string then(const std::string& first, const std::string& second) {
  return first + " & " + second;
}

}  // namespace bb::test::cmd
