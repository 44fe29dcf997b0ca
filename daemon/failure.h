// A request that cannot be served, as the JSON-RPC error the client will see.
#pragma once

#include <string>
#include <variant>

#include <nlohmann/json.hpp>

namespace bb {

struct Failure {
  int code = 0;
  std::string message;
  nlohmann::json data;  // {"kind": ..., ...}; null for none
};

template <typename T>
using Outcome = std::variant<T, Failure>;

}  // namespace bb
