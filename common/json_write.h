// Compact JSON text for one protocol line, the same bytes as nlohmann's
// dump(-1, ' ', false, error_handler_t::replace), written faster. Output is mostly strings (a
// page of a log is one string of up to some MiB), and nlohmann escapes a string one byte at a
// time through a UTF-8 decoder: here runs of bytes that need no escape are copied whole. A string
// that is not valid UTF-8 is handed to nlohmann, so that its replacement characters come out
// exactly as before.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace bb {

// Appends `j` as compact JSON to `out`.
void append_json(std::string& out, const nlohmann::json& j);

// `j` as compact JSON.
inline std::string json_text(const nlohmann::json& j) {
  std::string out;
  append_json(out, j);
  return out;
}

}  // namespace bb
