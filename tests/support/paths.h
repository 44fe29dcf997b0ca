// Where the test binaries find the programs they start, and temp dirs that clean up after
// themselves.
#pragma once

#include <filesystem>
#include <string>

namespace bb::test {

std::filesystem::path bin_dir();     // build/bin: backburnerd, backburner-keeper, bb-testchild...
std::filesystem::path source_dir();  // the repository root
std::filesystem::path test_child();  // build/bin/bb-testchild

// A fresh directory under $TMPDIR (or /tmp), removed recursively on destruction.
// Paths are kept short so that a socket inside fits sun_path.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// True when BB_TESTS_REQUIRE_ALL is set (CI sets it): a test that would skip for want of root
// or a system tool fails instead, so a check that did not run is never counted as passing.
bool all_tests_required();

// Shell-quotes one word for /bin/sh.
std::string shell_quote(const std::string& word);

}  // namespace bb::test

// Skips the test with `why`, or fails it where every test is required (see above).
#define BB_SKIP_OR_FAIL(why)                              \
  do {                                                    \
    if (::bb::test::all_tests_required()) FAIL() << why;  \
    GTEST_SKIP() << why;                                  \
  } while (0)
