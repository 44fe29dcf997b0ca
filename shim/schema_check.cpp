#include "schema_check.h"

#include <cmath>

namespace bb::shim {

using nlohmann::json;

namespace {

std::string describe(const std::string& path) {
  return path.empty() ? "the arguments" : "argument \"" + path + "\"";
}

std::string short_dump(const json& v) {
  auto s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

std::string kind_of(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return std::string("a boolean (") + (v.get<bool>() ? "true" : "false") + ")";
    case json::value_t::string:
      return "a string (" + short_dump(v) + ")";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "a number (" + short_dump(v) + ")";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    default:
      return "an unsupported value";
  }
}

bool is_integer(const json& v) {
  if (v.is_number_integer()) return true;
  if (!v.is_number_float()) return false;
  const double d = v.get<double>();
  return std::isfinite(d) && d == std::floor(d);
}

bool has_type(const json& v, const std::string& type) {
  if (type == "string") return v.is_string();
  if (type == "integer") return is_integer(v);
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "array") return v.is_array();
  if (type == "object") return v.is_object();
  if (type == "null") return v.is_null();
  return false;
}

std::string type_word(const std::string& type) {
  if (type == "integer") return "an integer";
  if (type == "array") return "an array";
  if (type == "object") return "an object";
  if (type == "null") return "null";
  return "a " + type;
}

std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string number_text(const json& n) {
  return is_integer(n) ? std::to_string(static_cast<long long>(n.get<double>())) : short_dump(n);
}

std::optional<std::string> check_type(const json& v, const json& type, const std::string& path) {
  if (type.is_string()) {
    const auto t = type.get<std::string>();
    if (has_type(v, t)) return std::nullopt;
    return describe(path) + " must be " + type_word(t) + ", got " + kind_of(v);
  }
  if (type.is_array()) {
    std::string words;
    for (const auto& t : type) {
      if (!t.is_string()) continue;
      if (has_type(v, t.get<std::string>())) return std::nullopt;
      words += (words.empty() ? "" : " or ") + type_word(t.get<std::string>());
    }
    return describe(path) + " must be " + words + ", got " + kind_of(v);
  }
  return std::nullopt;
}

std::optional<std::string> check_number(const json& v, const json& s, const std::string& path) {
  const double d = v.get<double>();
  if (auto m = s.find("minimum"); m != s.end() && m->is_number() && d < m->get<double>()) {
    return describe(path) + " must be at least " + number_text(*m) + ", got " + short_dump(v);
  }
  if (auto m = s.find("maximum"); m != s.end() && m->is_number() && d > m->get<double>()) {
    return describe(path) + " must be at most " + number_text(*m) + ", got " + short_dump(v);
  }
  if (auto m = s.find("exclusiveMinimum");
      m != s.end() && m->is_number() && d <= m->get<double>()) {
    return describe(path) + " must be greater than " + number_text(*m) + ", got " + short_dump(v);
  }
  if (auto m = s.find("exclusiveMaximum");
      m != s.end() && m->is_number() && d >= m->get<double>()) {
    return describe(path) + " must be less than " + number_text(*m) + ", got " + short_dump(v);
  }
  return std::nullopt;
}

std::optional<std::string> check_object(const json& v, const json& s, const std::string& path) {
  const std::string prefix = path.empty() ? "" : path + ".";
  const json* props = nullptr;
  if (auto p = s.find("properties"); p != s.end() && p->is_object()) props = &*p;
  if (auto r = s.find("required"); r != s.end() && r->is_array()) {
    for (const auto& name : *r) {
      if (name.is_string() && !v.contains(name.get<std::string>())) {
        return "missing required argument \"" + prefix + name.get<std::string>() + "\"";
      }
    }
  }
  if (auto m = s.find("maxProperties");
      m != s.end() && m->is_number() && v.size() > m->get<std::size_t>()) {
    return describe(path) + " must have at most " + number_text(*m) + " entries, got " +
           std::to_string(v.size());
  }
  const auto extra = s.find("additionalProperties");
  for (const auto& [key, item] : v.items()) {
    if (props != nullptr && props->contains(key)) {
      if (auto e = check_schema(item, (*props)[key], prefix + key)) return e;
      continue;
    }
    if (extra == s.end()) continue;
    if (extra->is_boolean() && !extra->get<bool>()) {
      std::string known;
      if (props != nullptr) {
        for (const auto& [name, _] : props->items()) known += (known.empty() ? "" : ", ") + name;
      }
      return "unknown argument \"" + prefix + key + "\"" +
             (known.empty() ? std::string(": no arguments are accepted here")
                            : "; the accepted arguments are: " + known);
    }
    if (extra->is_object()) {
      if (auto e = check_schema(item, *extra, prefix + key)) return e;
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_array(const json& v, const json& s, const std::string& path) {
  if (auto m = s.find("minItems");
      m != s.end() && m->is_number() && v.size() < m->get<std::size_t>()) {
    return describe(path) + " must have at least " + number_text(*m) + " item(s), got " +
           std::to_string(v.size());
  }
  if (auto m = s.find("maxItems");
      m != s.end() && m->is_number() && v.size() > m->get<std::size_t>()) {
    return describe(path) + " must have at most " + number_text(*m) + " items, got " +
           std::to_string(v.size());
  }
  if (auto items = s.find("items"); items != s.end() && items->is_object()) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (auto e = check_schema(v[i], *items, path + "[" + std::to_string(i) + "]")) return e;
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_string(const json& v, const json& s, const std::string& path) {
  const auto n = code_points(v.get_ref<const std::string&>());
  if (auto m = s.find("minLength"); m != s.end() && m->is_number() && n < m->get<std::size_t>()) {
    return n == 0 ? describe(path) + " must not be empty"
                  : describe(path) + " must be at least " + number_text(*m) + " characters long";
  }
  if (auto m = s.find("maxLength"); m != s.end() && m->is_number() && n > m->get<std::size_t>()) {
    return describe(path) + " must be at most " + number_text(*m) + " characters long, got " +
           std::to_string(n);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_schema(const json& value, const json& schema,
                                        const std::string& path) {
  if (!schema.is_object()) return std::nullopt;
  if (auto t = schema.find("type"); t != schema.end()) {
    if (auto e = check_type(value, *t, path)) return e;
  }
  if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
    bool found = false;
    std::string allowed;
    for (const auto& option : *e) {
      found = found || option == value;
      allowed += (allowed.empty() ? "" : ", ") + short_dump(option);
    }
    if (!found) return describe(path) + " must be one of " + allowed + ", got " + short_dump(value);
  }
  if (value.is_number()) return check_number(value, schema, path);
  if (value.is_string()) return check_string(value, schema, path);
  if (value.is_array()) return check_array(value, schema, path);
  if (value.is_object()) return check_object(value, schema, path);
  return std::nullopt;
}

}  // namespace bb::shim
