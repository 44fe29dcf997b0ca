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
// Prints "TEXT 1" .. "TEXT count", a line each (text: no spaces; UTF-8 is fine), pausing
// `interval` seconds after each line.
std::string print_lines(long count, const std::string& text, double interval = 0);
std::string count(long first, long last);          // prints first .. last, a number a line (as seq)
std::string print_text(const std::string& bytes);  // prints exactly these bytes (no NUL)
std::string copy_stdin();  // copies stdin to stdout until its end, then prints "eof\n"
// Waits until `file` exists (polling, bounded by `seconds`).
std::string wait_for_file(const std::filesystem::path& file, double seconds = 60);
// `first`, then `second` whatever first's status.
std::string then(const std::string& first, const std::string& second);

}  // namespace bb::test::cmd
