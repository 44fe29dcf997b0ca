// Where the test binaries find the programs they start, and temp dirs that clean up after
// themselves.
#pragma once

#include <filesystem>
#include <string>

namespace bb::test {

std::filesystem::path bin_dir();     // build/bin: backburnerd, backburner-keeper, bb-testchild...
std::filesystem::path source_dir();  // the repository root
std::filesystem::path test_child();  // build/bin/bb-testchild

// A fresh directory under $TMPDIR (or /tmp; Windows: %TEMP%), removed recursively on
// destruction.
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

// Quotes one word for the task shell: /bin/sh on POSIX, cmd.exe on Windows (where the word is
// a program's path or argument, quoted as the program's command line parser reads it).
std::string shell_quote(const std::string& word);

}  // namespace bb::test
