// The few facts every binary asks the operating system for, behind one neutral header
// (os_posix.cpp / os_win.cpp). Nothing here hands out a raw descriptor or handle.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace bb::os {

std::int64_t current_pid();

// True if a process with this pid exists (a zombie counts as gone).
bool process_exists(std::int64_t pid);

// Bytes from the OS's cryptographic random source. Throws std::system_error if it fails.
void random_bytes(std::span<unsigned char> out);

// `chars` characters drawn from a 32-letter alphabet without look-alikes (no l, o, 0, 1):
// 5 random bits each, short enough to type, hard to guess.
std::string random_id(std::size_t chars);

// The running executable's path; empty if the OS will not say.
std::filesystem::path current_executable();

// Identifies the current boot: it differs after every restart of the machine, so a process
// identity recorded with it can never match a process of a later boot. Empty if unknown.
const std::string& boot_id();

// The process environment, "NAME=value" each, in UTF-8 on Windows (as given on POSIX).
std::vector<std::string> environment();

// The current user: the uid (POSIX) or the SID string (Windows).
std::string current_user_id();
// The current user's login name, or current_user_id() if it has none.
std::string current_user_name();

// For a process whose stdin/stdout carry a protocol: a closed pipe is an error value, never a
// signal that kills the process (POSIX SIGPIPE), and no text-mode translation (Windows).
void prepare_stdio_for_protocol();

// Gives heap memory that was freed back to the OS where the allocator keeps it otherwise
// (glibc keeps a freed 16 MiB request buffer). Cheap enough to call after a large request.
void release_free_memory();

// Makes large allocations come straight from the OS and go back to it when freed, so that one
// huge request cannot leave the process large for good. Call once at start.
void limit_retained_memory();

}  // namespace bb::os
