#include "tool_catalog.h"

#include <stdexcept>

#include "mcp_catalog_data.h"  // generated: kServerJson, kTaskSchemaJson, kToolsJson

namespace bb::shim {

using nlohmann::json;

namespace {

constexpr const char* kTaskSchemaRef = "task.schema.json";

// Replaces every {"$ref": "task.schema.json", ...} in `node` (see ToolCatalog::parse).
void resolve_refs(json& node, const json& task_schema) {
  if (node.is_array()) {
    for (auto& item : node) resolve_refs(item, task_schema);
    return;
  }
  if (!node.is_object()) return;
  for (auto& [_, child] : node.items()) resolve_refs(child, task_schema);
  const auto ref = node.find("$ref");
  if (ref == node.end() || *ref != kTaskSchemaRef) return;
  json merged = task_schema;
  for (const auto& [key, value] : node.items()) {
    if (key == "$ref") continue;
    if (key == "properties" && value.is_object()) {
      for (const auto& [prop, schema] : value.items()) merged["properties"][prop] = schema;
    } else if (key == "required" && value.is_array()) {
      for (const auto& r : value) merged["required"].push_back(r);
    } else {
      merged[key] = value;
    }
  }
  node = std::move(merged);
}

}  // namespace

std::variant<ToolCatalog, std::string> ToolCatalog::parse(std::string_view server_json,
                                                          std::string_view task_schema_json,
                                                          std::string_view tools_json) {
  ToolCatalog c;
  try {
    const auto server = json::parse(server_json);
    const auto task_schema = json::parse(task_schema_json);
    auto tools = json::parse(tools_json);
    c.name_ = server.at("name").get<std::string>();
    c.title_ = server.at("title").get<std::string>();
    c.instructions_ = server.at("instructions").get<std::string>();
    if (!tools.is_array()) return std::string("tools.json must be an array");
    resolve_refs(tools, task_schema);
    for (const auto& t : tools) {
      for (const char* key :
           {"name", "title", "description", "inputSchema", "outputSchema", "annotations"}) {
        if (!t.contains(key)) return "a tool lacks \"" + std::string(key) + "\": " + t.dump();
      }
      if (t["inputSchema"].value("type", "") != "object" ||
          t["outputSchema"].value("type", "") != "object") {
        return "tool " + t["name"].dump() + ": input and output schemas must have type object";
      }
    }
    c.tools_ = std::move(tools);
  } catch (const json::exception& e) {
    return std::string("the MCP catalogue does not parse: ") + e.what();
  }
  return c;
}

const ToolCatalog& ToolCatalog::embedded() {
  static const ToolCatalog catalog = [] {
    auto parsed = parse(embedded_catalog::kServerJson, embedded_catalog::kTaskSchemaJson,
                        embedded_catalog::kToolsJson);
    if (auto* error = std::get_if<std::string>(&parsed)) throw std::runtime_error(*error);
    return std::get<ToolCatalog>(std::move(parsed));
  }();
  return catalog;
}

const json* ToolCatalog::find(std::string_view tool_name) const {
  for (const auto& t : tools_) {
    if (t["name"].get_ref<const std::string&>() == tool_name) return &t;
  }
  return nullptr;
}

}  // namespace bb::shim
