// Reading and writing protocol JSON, shared by the protocol*.cpp files only: strict about types,
// silent about unknown fields, and every error message names the field and what was expected.
#pragma once

#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "protocol.h"

namespace bb::proto::detail {

using nlohmann::json;

inline constexpr const char* kStatusNames[] = {"working",   "completed", "failed",
                                        "cancelled", "timed_out", "interrupted"};
inline constexpr const char* kStatusList = "working, completed, failed, cancelled, timed_out, interrupted";

[[noreturn]] inline void fail(std::string message) { throw ParamsError{std::move(message)}; }

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence (json::dump throws on
// invalid UTF-8, and a message is no place for half a character).
inline std::string utf8_prefix(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// A JSON value as an error message shows it: numbers, booleans and null as written, strings
// quoted (long ones shortened), containers by kind.
inline std::string describe(const json& v) {
  switch (v.type()) {
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    case json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      constexpr std::size_t kShown = 40;
      if (s.size() <= kShown) return v.dump();
      return json(utf8_prefix(s, kShown) + "...").dump();
    }
    default:
      return v.dump();
  }
}

inline std::string quoted(const std::string& s) { return json(s).dump(); }

// 3600 rather than 3600.0: limits read as the user would write them.
inline std::string number_text(double d) {
  if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
  return json(d).dump();
}

[[noreturn]] inline void fail_value(const std::string& field, const char* expected, const json& v) {
  fail(field + " must be " + expected + ", got " + describe(v));
}

[[noreturn]] inline void fail_missing(const std::string& field, const char* expected) {
  fail("missing required field " + quoted(field) + " (" + expected + ")");
}

// An integral JSON number as int64; floats with no fractional part count (JSON Schema's
// "integer" accepts 5.0, so the C++ side does too).
inline std::optional<std::int64_t> as_int64(const json& v) {
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && d >= -9.2e18 && d <= 9.2e18)
      return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

inline std::optional<std::uint64_t> as_uint64(const json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) {
    auto i = v.get<std::int64_t>();
    if (i < 0) return std::nullopt;
    return static_cast<std::uint64_t>(i);
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && d >= 0 && d <= 1.8e19)
      return static_cast<std::uint64_t>(d);
  }
  return std::nullopt;
}

inline std::optional<double> as_double(const json& v) {
  if (!v.is_number()) return std::nullopt;
  double d = v.get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

// One JSON object being read. `prefix` is what the fields' names get in messages: "" at the
// top of params or a result, "client." or "tasks[2]." below it. Unknown keys are never looked
// at, which is what makes them ignored.
class Obj {
 public:
  // `name` is how a message calls the object itself ("params", "client", "tasks[2]").
  // null reads as {} only where `null_is_empty` (params whose every field is optional).
  Obj(const json& j, const std::string& name, std::string prefix, bool null_is_empty)
      : prefix_(std::move(prefix)) {
    if (j.is_object()) {
      j_ = &j;
    } else if (j.is_null() && null_is_empty) {
      j_ = &empty();
    } else {
      fail_value(name, "an object", j);
    }
  }

  static Obj top(const json& j, const char* name, bool null_is_empty = true) {
    return Obj(j, name, "", null_is_empty);
  }
  static Obj nested(const json& j, const std::string& name) {
    return Obj(j, name, name + ".", false);
  }

  std::string field(const char* key) const { return prefix_ + key; }

  const json* find(const char* key) const {
    auto it = j_->find(key);
    return it == j_->end() ? nullptr : &*it;
  }

  const json& require(const char* key, const char* expected) const {
    const json* v = find(key);
    if (v == nullptr) fail_missing(field(key), expected);
    return *v;
  }

  std::string string(const char* key, bool non_empty = true) const {
    const json& v = require(key, "string");
    return string_value(v, field(key), non_empty);
  }

  std::optional<std::string> opt_string(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    return string_value(*v, field(key), false);
  }

  bool boolean(const char* key) const {
    const json& v = require(key, "boolean");
    if (!v.is_boolean()) fail_value(field(key), "a boolean", v);
    return v.get<bool>();
  }

  std::uint64_t uint(const char* key) const {
    return uint_value(require(key, "non-negative integer"), field(key));
  }

  std::optional<std::uint64_t> opt_uint(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    return uint_value(*v, field(key));
  }

  std::int64_t int64(const char* key) const {
    return int64_value(require(key, "integer"), field(key));
  }

  std::optional<std::int64_t> opt_int64(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    return int64_value(*v, field(key));
  }

  double number(const char* key) const { return number_value(require(key, "number"), field(key)); }

  std::optional<double> opt_number(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    return number_value(*v, field(key));
  }

  static std::string string_value(const json& v, const std::string& name, bool non_empty) {
    if (!v.is_string()) fail_value(name, non_empty ? "a non-empty string" : "a string", v);
    const auto& s = v.get_ref<const std::string&>();
    if (non_empty && s.empty()) fail_value(name, "a non-empty string", v);
    return s;
  }

 private:
  static const json& empty() {
    static const json e = json::object();
    return e;
  }
  static std::uint64_t uint_value(const json& v, const std::string& name) {
    auto u = as_uint64(v);
    if (!u) fail_value(name, "a non-negative integer", v);
    return *u;
  }
  static std::int64_t int64_value(const json& v, const std::string& name) {
    auto i = as_int64(v);
    if (!i) fail_value(name, "an integer", v);
    return *i;
  }
  static double number_value(const json& v, const std::string& name) {
    auto d = as_double(v);
    if (!d) fail_value(name, "a number", v);
    return *d;
  }

  const json* j_ = nullptr;
  std::string prefix_;
};

// An optional integer field that must lie in [lo, hi]; the message states the range.
inline std::optional<int> opt_int_in(const Obj& o, const char* key, int lo, int hi) {
  const json* v = o.find(key);
  if (v == nullptr) return std::nullopt;
  auto i = as_int64(*v);
  if (!i || *i < lo || *i > hi) {
    std::string expected = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    fail_value(o.field(key), expected.c_str(), *v);
  }
  return static_cast<int>(*i);
}

inline std::optional<std::uint64_t> opt_uint_in(const Obj& o, const char* key, std::uint64_t lo,
                                         std::uint64_t hi) {
  const json* v = o.find(key);
  if (v == nullptr) return std::nullopt;
  auto u = as_uint64(*v);
  if (!u || *u < lo || *u > hi) {
    std::string expected = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    fail_value(o.field(key), expected.c_str(), *v);
  }
  return *u;
}

inline Status status_value(const json& v, const std::string& name) {
  std::optional<Status> s;
  if (v.is_string()) s = status_from_string(v.get_ref<const std::string&>());
  if (!s) {
    std::string expected = std::string("one of ") + kStatusList;
    fail(name + " must be " + expected + "; got " + describe(v));
  }
  return *s;
}

inline void check_no_nul(const std::string& s, const std::string& name) {
  if (s.find('\0') != std::string::npos) fail(name + " must not contain a NUL character");
}

template <typename T>
inline void put_opt(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}


}  // namespace bb::proto::detail

namespace bb::proto::detail {
// Shared readers, defined in protocol.cpp.
std::vector<std::string> pattern_list(const Obj& o, const char* key);
// An optional string of at most `max` bytes without NUL.
std::optional<std::string> bounded_string(const Obj& o, const char* key, std::size_t max,
                                          bool non_empty);
void read_client(const Obj& o, ClientInfo& c);
ClientInfo client_field(const Obj& o, const char* key);
void read_progress(const Obj& o, Progress& p);
void read_task_view(const Obj& o, TaskView& t);
std::vector<TaskView> task_list(const Obj& o, const char* key);
nlohmann::json task_list_json(const std::vector<TaskView>& tasks);
// A task id param (required, at most kMaxTaskIdBytes).
std::string task_id_field(const Obj& o, const char* key);
// An array of task ids: at most `max`; when `required`, present and non-empty.
std::vector<std::string> id_list(const Obj& o, const char* key, std::size_t max, bool required);
}  // namespace bb::proto::detail
