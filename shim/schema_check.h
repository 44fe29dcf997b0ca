// Checks a JSON value against the subset of JSON Schema (2020-12) that the tool catalogue uses:
// type, enum, properties, required, additionalProperties, maxProperties, items, minItems,
// maxItems, minLength, maxLength, minimum, maximum, exclusiveMinimum, exclusiveMaximum. Other
// keywords (description, default, ...) are annotations and ignored. Used to validate tool arguments
// with messages a model can act on, and by tests to check results against output schemas.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace bb::shim {

// The first violation, worded for the caller of a tool ("argument \"limit\" must be an integer,
// got a string (\"5\")"), or nullopt when `value` conforms. `path` names `value` ("" = the
// arguments object itself).
std::optional<std::string> check_schema(const nlohmann::json& value, const nlohmann::json& schema,
                                        const std::string& path = "");

}  // namespace bb::shim
