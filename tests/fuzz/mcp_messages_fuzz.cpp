// The MCP side of the shim: arbitrary lines from a client through McpServer::handle_line (both
// protocol eras, every method, tool arguments against their schemas) with a daemon that answers
// every request with an error and an event stream that never delivers.
// Input: the bytes, split into lines at '\n'.
// Invariants: every message the shim writes is one JSON-RPC 2.0 object; no crash, no throw.
// fuzz-link: bb_shim
#include <mutex>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "mcp_server.h"
#include "task_watch.h"
#include "tool_catalog.h"
#include "tools.h"

namespace {

using nlohmann::json;

class RefusingDaemon final : public bb::shim::DaemonPort {
 public:
  bb::CallOutcome call(std::string_view, const json&, std::chrono::milliseconds,
                       bb::shim::CancelToken&) override {
    return bb::RpcError{bb::proto::error::kTaskNotFound, "no such task",
                        json{{"kind", "task_not_found"}}};
  }
};

class SilentEvents final : public bb::shim::EventSource {
 public:
  std::optional<std::string> start(Handler) override { return std::nullopt; }
  void follow_output(const std::string&) override {}
  void unfollow_output(const std::string&) override {}
};

class Capture final : public bb::shim::OutputSink {
 public:
  void write_line(const std::string& line) override {
    std::lock_guard lock(mutex);
    lines.push_back(line);
  }
  std::mutex mutex;
  std::vector<std::string> lines;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  static RefusingDaemon daemon;
  static SilentEvents events;
  Capture out;
  {
    bb::shim::ToolsConfig config;
    config.cwd = "/";
    bb::shim::Tools tools(bb::shim::ToolCatalog::embedded(), daemon, config);
    bb::shim::TaskWatch watch(events, daemon);
    bb::shim::ServerOptions options;
    options.version = "fuzz";
    bb::shim::McpServer server(bb::shim::ToolCatalog::embedded(), tools, watch, out, options);
    std::string_view rest = bb::fuzz::as_text(data, size);
    while (!rest.empty()) {
      const auto nl = rest.find('\n');
      server.handle_line(rest.substr(0, nl));
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
    server.wait_idle(std::chrono::seconds(5));
  }
  for (const auto& line : out.lines) {
    const json m = json::parse(line, nullptr, false);
    BB_FUZZ_CHECK(m.is_object() || m.is_array());
    if (m.is_object()) BB_FUZZ_CHECK(m.value("jsonrpc", "") == "2.0");
  }
  return 0;
}
