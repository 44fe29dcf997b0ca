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
std::string wait_for_file(const std::filesystem::path& file, double seconds) {
  return child("wait-for " + shell_quote(path_utf8(file)) + " " + number(seconds));
}
std::string then(const std::string& first, const std::string& second) {
  return first + " & " + second;
}

}  // namespace bb::test::cmd
