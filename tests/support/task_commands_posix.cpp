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
std::string wait_for_file(const std::filesystem::path& file, double) {
  return "while [ ! -e " + shell_quote(file.string()) + " ]; do sleep 0.05; done";
}
std::string then(const std::string& first, const std::string& second) {
  return first + "; " + second;
}

}  // namespace bb::test::cmd
