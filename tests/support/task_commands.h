// Task commands that tests start, written for the platform's task shell (/bin/sh on POSIX,
// cmd.exe on Windows), so that a test of the daemon's behaviour reads the same on both. Each
// says what the task does and what it prints; on POSIX they are the plain shell commands the
// tests always used, on Windows the purpose-built test child does what cmd.exe cannot.
#pragma once

#include <filesystem>
#include <string>

namespace bb::test::cmd {

std::string succeed();                           // exits 0, prints nothing
std::string exit_with(int code);                 // exits with `code`, prints nothing
std::string sleep(double seconds);               // sleeps, then exits 0
std::string print_line(const std::string& word);  // prints word + "\n" (word: no spaces)
std::string print_bytes(long count);             // prints `count` bytes
// Waits until `file` exists (polling, bounded by `seconds`).
std::string wait_for_file(const std::filesystem::path& file, double seconds = 60);
// `first`, then `second` whatever first's status.
std::string then(const std::string& first, const std::string& second);

}  // namespace bb::test::cmd
