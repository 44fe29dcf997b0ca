#include "paths.h"

#include <cstdlib>
#include <stdexcept>
#include <system_error>

#include "autostart_platform.h"
#include "test_process.h"

namespace bb::test {

namespace fs = std::filesystem;

fs::path bin_dir() { return BB_BIN_DIR; }
fs::path source_dir() { return BB_SOURCE_DIR; }
fs::path test_child() { return bin_dir() / ("bb-testchild" + std::string(kExeSuffix)); }

TempDir::TempDir() : path_(make_temp_dir()) {}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

bool all_tests_required() {
  const char* v = std::getenv("BB_TESTS_REQUIRE_ALL");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

}  // namespace bb::test
