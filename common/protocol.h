// The daemon protocol (proto/README.md is the prose, proto/daemon.schema.json the schema).
// Every method's params and result as a C++ type. Parsing is strict about types and lenient
// about unknown fields (they are ignored: the protocol evolves additively).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace bb::proto {

inline constexpr int kProtocolVersion = 1;
// A request line longer than this (excluding the newline) is refused with kInvalidRequest.
inline constexpr std::size_t kMaxLineBytes = 16u * 1024 * 1024;
// The kernel refuses a single exec argument longer than MAX_ARG_STRLEN (128 KiB).
inline constexpr std::size_t kMaxCommandBytes = 128 * 1024 - 1;
// Upper bound on a task's timeout (about 10 years): keeps deadline arithmetic far from overflow.
inline constexpr double kMaxTimeoutSeconds = 315360000;
inline constexpr int kDefaultTailLines = 100;
inline constexpr int kMaxTailLines = 10000;
inline constexpr std::uint64_t kDefaultMaxBytes = 1024 * 1024;      // per output read
// Upper bound for max_bytes. A reply must fit the 16 MiB line limit even in the worst case: a
// log byte can take 6 bytes of JSON (a NUL is "\\u0000"), and 2 MiB x 6 = 12 MiB.
inline constexpr std::uint64_t kMaxMaxBytes = 2u * 1024 * 1024;
inline constexpr int kDefaultListLimit = 20;
inline constexpr int kMaxListLimit = 1000;
inline constexpr double kDefaultWaitSeconds = 30;
inline constexpr double kMaxWaitSeconds = 3600;
inline constexpr std::size_t kMaxWaitTasks = 100;
// A command policy (hello.policy, and the daemon's own) holds at most this many patterns per
// list, each at most this many bytes: enough for any hand-written policy, and a bound on what
// the daemon compiles and runs against every command. The daemon also bounds what the patterns
// compile to (command_policy.h).
inline constexpr std::size_t kMaxPolicyPatterns = 64;
inline constexpr std::size_t kMaxPolicyPatternBytes = 1024;

namespace method {
inline constexpr const char* kHello = "hello";
inline constexpr const char* kTaskStart = "task.start";
inline constexpr const char* kTaskGet = "task.get";
inline constexpr const char* kTaskOutput = "task.output";
inline constexpr const char* kTaskCancel = "task.cancel";
inline constexpr const char* kTaskList = "task.list";
inline constexpr const char* kTaskWait = "task.wait";
inline constexpr const char* kDaemonInfo = "daemon.info";
inline constexpr const char* kDaemonShutdown = "daemon.shutdown";
}  // namespace method

// JSON-RPC error codes. Application codes are positive (outside -32768..-32000).
namespace error {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kHelloRequired = 1001;
inline constexpr int kUnsupportedVersion = 1002;
inline constexpr int kTaskNotFound = 1003;
inline constexpr int kInvalidCwd = 1004;
inline constexpr int kPolicyDenied = 1005;
inline constexpr int kSpawnFailed = 1006;
inline constexpr int kShuttingDown = 1007;
}  // namespace error

// Thrown by from_json on a params object that does not fit; the daemon turns it into
// kInvalidParams with this message (which names the field and what was expected).
struct ParamsError {
  std::string message;
};

struct ClientInfo {
  std::string name;
  std::string version;
};

// Command policy: regular expressions (RE2 syntax), searched anywhere in the command,
// case-insensitive. At most kMaxPolicyPatterns per list, each 1..kMaxPolicyPatternBytes bytes.
struct Policy {
  std::vector<std::string> allow;
  std::vector<std::string> deny;
};

struct HelloParams {
  int protocol_version = kProtocolVersion;
  ClientInfo client;
  Policy policy;
};

struct HelloResult {
  int protocol_version = kProtocolVersion;
  std::string daemon_version;
  std::int64_t pid = 0;
  std::vector<std::string> methods;
  std::uint64_t max_line_bytes = kMaxLineBytes;
};

enum class Status { working, completed, failed, cancelled, timed_out, interrupted };
const char* to_string(Status);
std::optional<Status> status_from_string(std::string_view);
inline bool is_terminal(Status s) { return s != Status::working; }

// A task as every client sees it (the MCP tools return the same object).
struct TaskView {
  std::string task_id;
  std::string command;
  std::string cwd;
  Status status = Status::working;
  std::string created_at;                 // ISO 8601 UTC with milliseconds
  std::optional<std::string> started_at;  // absent until the shell runs
  std::optional<std::string> finished_at;
  std::optional<double> running_for_seconds;  // working only
  std::optional<double> duration_seconds;     // terminal only
  std::optional<int> exit_code;               // completed / failed only
  std::optional<std::string> signal;          // e.g. "SIGKILL", when a signal ended it
  std::optional<std::int64_t> pid;            // the shell's pid, working only
  std::optional<double> timeout_seconds;
  std::uint64_t output_bytes = 0;
  std::optional<std::string> status_message;  // why it ended, in words
  ClientInfo client;                          // who started it
};

struct StartParams {
  std::string command;
  std::string cwd;  // absolute; must exist
  std::optional<double> timeout_seconds;  // > 0
  // The task's environment. Absent: the daemon's own environment.
  std::optional<std::map<std::string, std::string>> env;
};

struct TaskIdParams {  // task.get, task.cancel
  std::string task_id;
};

struct OutputParams {
  std::string task_id;
  // Exactly one mode: offset given -> a byte range from offset; else the last tail_lines lines.
  std::optional<int> tail_lines;         // 1..kMaxTailLines, default kDefaultTailLines
  std::optional<std::uint64_t> offset;
  std::optional<std::uint64_t> max_bytes;  // 1..kMaxMaxBytes, default kDefaultMaxBytes
};

struct OutputResult {
  std::string task_id;
  std::string output;          // valid UTF-8
  std::uint64_t offset = 0;    // byte offset in the log where `output` starts
  std::uint64_t next_offset = 0;  // where the next read should start
  std::uint64_t output_bytes = 0;  // total size of the log
  bool truncated = false;  // tail: earlier output exists that was not returned; range: capped
  Status status = Status::working;
};

struct CancelResult {
  TaskView task;
  bool cancelled = false;  // true if this call ended the task
  std::string message;
  std::vector<std::int64_t> survivors;  // pids still alive after the kill ladder's bound
};

struct ListParams {
  std::optional<int> limit;  // 1..kMaxListLimit, default kDefaultListLimit
  std::optional<Status> status;
};

struct ListResult {
  std::vector<TaskView> tasks;  // newest first
  std::uint64_t total = 0;      // tasks matching the filter
};

struct WaitParams {
  std::vector<std::string> task_ids;  // 1..kMaxWaitTasks
  std::optional<double> timeout_seconds;  // 0..kMaxWaitSeconds, default kDefaultWaitSeconds
};

struct WaitResult {
  std::vector<TaskView> tasks;  // in the order asked
  bool all_finished = false;
  bool timed_out = false;  // the wait's own timeout passed first
};

struct DaemonInfo {
  std::string version;
  std::int64_t pid = 0;
  std::string started_at;
  double uptime_seconds = 0;
  std::string state_dir;
  std::string socket;
  std::map<std::string, std::uint64_t> counts;  // tasks per status
  std::uint64_t connections = 0;
};

// nlohmann adapters. from_json throws ParamsError on a mistyped or missing field.
void to_json(nlohmann::json&, const ClientInfo&);
void from_json(const nlohmann::json&, ClientInfo&);
void to_json(nlohmann::json&, const Policy&);
void from_json(const nlohmann::json&, Policy&);
void to_json(nlohmann::json&, const HelloParams&);
void from_json(const nlohmann::json&, HelloParams&);
void to_json(nlohmann::json&, const HelloResult&);
void from_json(const nlohmann::json&, HelloResult&);
void to_json(nlohmann::json&, const TaskView&);
void from_json(const nlohmann::json&, TaskView&);
void to_json(nlohmann::json&, const StartParams&);
void from_json(const nlohmann::json&, StartParams&);
void to_json(nlohmann::json&, const TaskIdParams&);
void from_json(const nlohmann::json&, TaskIdParams&);
void to_json(nlohmann::json&, const OutputParams&);
void from_json(const nlohmann::json&, OutputParams&);
void to_json(nlohmann::json&, const OutputResult&);
void from_json(const nlohmann::json&, OutputResult&);
void to_json(nlohmann::json&, const CancelResult&);
void from_json(const nlohmann::json&, CancelResult&);
void to_json(nlohmann::json&, const ListParams&);
void from_json(const nlohmann::json&, ListParams&);
void to_json(nlohmann::json&, const ListResult&);
void from_json(const nlohmann::json&, ListResult&);
void to_json(nlohmann::json&, const WaitParams&);
void from_json(const nlohmann::json&, WaitParams&);
void to_json(nlohmann::json&, const WaitResult&);
void from_json(const nlohmann::json&, WaitResult&);
void to_json(nlohmann::json&, const DaemonInfo&);
void from_json(const nlohmann::json&, DaemonInfo&);
void to_json(nlohmann::json&, Status);
void from_json(const nlohmann::json&, Status&);

}  // namespace bb::proto
