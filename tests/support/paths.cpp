#include "paths.h"

#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace bb::test {

namespace fs = std::filesystem;

fs::path bin_dir() { return BB_BIN_DIR; }
fs::path source_dir() { return BB_SOURCE_DIR; }
fs::path test_child() { return bin_dir() / "bb-testchild"; }

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/bbt-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

bool all_tests_required() {
  const char* v = std::getenv("BB_TESTS_REQUIRE_ALL");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

}  // namespace bb::test
