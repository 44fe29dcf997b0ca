// JSON-RPC error codes the MCP layer answers with (JSON-RPC 2.0 and the MCP specification).
#pragma once

namespace bb::shim::code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
// 2026-07-28: a capability the request did not declare is needed (data.requiredCapabilities).
inline constexpr int kMissingRequiredCapability = -32021;
// 2026-07-28: the envelope's protocol version is not one this server serves.
inline constexpr int kUnsupportedProtocolVersion = -32022;
// Resource not found in the 2025 revisions (2026-07-28 answers -32602).
inline constexpr int kResourceNotFound = -32002;
}  // namespace bb::shim::code
