#include "context.h"

#include <nlohmann/json.hpp>
#include <ostream>

namespace bb::cli {

int Context::fail(std::string_view message, int status) const {
  err << "backburner: " << message << "\n";
  err.flush();
  return status;
}

void Context::warn(std::string_view message) const {
  err << "backburner: warning: " << message << "\n";
  err.flush();
}

void Context::print_json(const nlohmann::json& value) const {
  // The daemon sends valid UTF-8; replace rather than throw if anything else slipped in.
  out << value.dump(term.stdout_tty ? 2 : -1, ' ', false, nlohmann::json::error_handler_t::replace)
      << "\n";
}

}  // namespace bb::cli
