// The MCP tool catalogue: server identity, instructions and the tools (names, titles,
// descriptions, input and output schemas, annotations). Its source of truth is proto/mcp/*.json,
// embedded into the binary at build time (embed_catalog.cmake) and parsed once at start.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

namespace bb::shim {

class ToolCatalog {
 public:
  // The catalogue built into this binary. Parsed on first use; a catalogue that does not parse
  // is a build defect, reported by throwing std::runtime_error (tests parse it on every build).
  static const ToolCatalog& embedded();

  // Builds a catalogue from the three proto/mcp documents. In tools.json an object
  // {"$ref": "task.schema.json", ...more} stands for the task schema, with the object's own
  // "properties" merged in and its "required" appended (other keys replace the task schema's):
  // the served schemas are self-contained.
  static std::variant<ToolCatalog, std::string> parse(std::string_view server_json,
                                                      std::string_view task_schema_json,
                                                      std::string_view tools_json);

  const std::string& name() const { return name_; }
  const std::string& title() const { return title_; }
  const std::string& instructions() const { return instructions_; }
  // The array tools/list returns.
  const nlohmann::json& tools() const { return tools_; }
  // One tool's definition, or nullptr for an unknown name.
  const nlohmann::json* find(std::string_view tool_name) const;

 private:
  std::string name_;
  std::string title_;
  std::string instructions_;
  nlohmann::json tools_ = nlohmann::json::array();
};

}  // namespace bb::shim
