// Paths from and to UTF-8 text, the same on every platform. On Windows std::filesystem::path
// holds UTF-16 and path(std::string) reads the bytes in the C library's locale (not UTF-8 with
// mingw's runtime), while path::string() gives UTF-8: text from the wire, the command line or
// the environment becomes a path through utf8_path(), or a non-ASCII name would be garbled.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace bb {

inline std::filesystem::path utf8_path(std::string_view text) {
  return std::filesystem::path(std::u8string(text.begin(), text.end()));
}

// The path as UTF-8 (path::string() is UTF-8 on both platforms with libstdc++; this says so).
inline std::string path_utf8(const std::filesystem::path& p) {
  const std::u8string s = p.u8string();
  return std::string(s.begin(), s.end());
}

}  // namespace bb
