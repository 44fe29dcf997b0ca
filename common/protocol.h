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
// A task id the daemon made is 10 characters; anything past this many bytes cannot be one, and
// is refused before it can be echoed back in an error (a 16 MiB id would make a 32 MiB answer).
inline constexpr std::size_t kMaxTaskIdBytes = 64;
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
inline constexpr std::size_t kMaxWaitTasks = 1000;
// A command policy (hello.policy, and the daemon's own) holds at most this many patterns per
// list, each at most this many bytes: enough for any hand-written policy, and a bound on what
// the daemon compiles and runs against every command. The daemon also bounds what the patterns
// compile to (command_policy.h).
inline constexpr std::size_t kMaxPolicyPatterns = 64;        // per list
inline constexpr std::size_t kMaxPolicyPatternBytes = 1024;  // per pattern
// task.start
inline constexpr std::size_t kMaxLabelBytes = 200;
inline constexpr std::size_t kMaxIdempotencyKeyBytes = 200;
inline constexpr std::size_t kMaxClientFieldBytes = 200;  // client name, version, session, user
// task.output
inline constexpr std::uint64_t kMaxChars = 1024 * 1024;  // max_chars bound
inline constexpr std::size_t kMaxReaderBytes = 200;
inline constexpr std::size_t kMaxGrepPatternBytes = 1024;
inline constexpr int kMaxGrepContext = 20;
inline constexpr int kDefaultGrepMatches = 100;
inline constexpr int kMaxGrepMatches = 1000;
// task.input
inline constexpr std::size_t kMaxInputBytes = 64 * 1024;  // per call: what one pipe holds
// task.list paging
inline constexpr std::size_t kMaxCommandFilterBytes = 1024;
// events.subscribe
inline constexpr std::size_t kMaxSubscribedTasks = 1000;

namespace method {
inline constexpr const char* kHello = "hello";
inline constexpr const char* kTaskStart = "task.start";
inline constexpr const char* kTaskGet = "task.get";
inline constexpr const char* kTaskOutput = "task.output";
inline constexpr const char* kTaskCancel = "task.cancel";
inline constexpr const char* kTaskList = "task.list";
inline constexpr const char* kTaskWait = "task.wait";
inline constexpr const char* kTaskInput = "task.input";
inline constexpr const char* kTaskPrune = "task.prune";
inline constexpr const char* kEventsSubscribe = "events.subscribe";
inline constexpr const char* kEventsUnsubscribe = "events.unsubscribe";
inline constexpr const char* kDaemonInfo = "daemon.info";
inline constexpr const char* kDaemonShutdown = "daemon.shutdown";
inline constexpr const char* kDashboardOpen = "dashboard.open";
// The one notification the daemon sends, on connections that subscribed.
inline constexpr const char* kEvent = "event";
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
inline constexpr int kIdempotencyConflict = 1008;
inline constexpr int kInputUnavailable = 1009;
inline constexpr int kDiskFull = 1010;
inline constexpr int kDashboardUnavailable = 1011;
}  // namespace error

// Thrown by from_json on a params object that does not fit; the daemon turns it into
// kInvalidParams with this message (which names the field and what was expected).
struct ParamsError {
  std::string message;
};

struct ClientInfo {
  std::string name;
  std::string version;
  std::optional<std::string> session;  // one session of that client (e.g. one MCP session)
  std::optional<std::string> user;     // the person, for clients that act for one (the CLI)
  // Output only: "name version" of the connection that relayed task.start for this client.
  std::optional<std::string> via;
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
inline constexpr Status kAllStatuses[] = {Status::working,   Status::completed,
                                          Status::failed,    Status::cancelled,
                                          Status::timed_out, Status::interrupted};
const char* to_string(Status);
std::optional<Status> status_from_string(std::string_view);
inline bool is_terminal(Status s) { return s != Status::working; }

// The latest progress marker in a task's output (see common/progress.h), when it has one.
struct Progress {
  std::optional<double> percent;  // 0..100
  std::optional<std::int64_t> current;
  std::optional<std::int64_t> total;
  std::string message;  // the last status line
};

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
  std::optional<std::string> label;           // the starter's short tag
  std::optional<std::string> stdin_state;     // "pipe" (open) or "closed"; absent: no stdin
  std::optional<std::string> log_path;        // output.log on disk
  std::optional<Progress> progress;           // when asked for and the output has a marker
};

struct StartParams {
  std::string command;
  std::string cwd;  // absolute; must exist
  std::optional<double> timeout_seconds;  // > 0
  // The task's environment. Absent: the daemon's own environment.
  std::optional<std::map<std::string, std::string>> env;
  std::optional<std::string> label;
  bool stdin_pipe = false;  // "stdin": "pipe"
  // A repeated start with the same key returns the task the first one created.
  std::optional<std::string> idempotency_key;
  // Who the task is for, when the connection relays for someone (the MCP shim for its client).
  std::optional<ClientInfo> on_behalf_of;
  std::optional<int> umask;  // the shell's umask; absent: the daemon's start-up umask
};

struct TaskIdParams {  // task.get, task.cancel
  std::string task_id;
};

struct OutputParams {
  std::string task_id;
  // At most one mode: offset -> a byte range; head_lines -> the first lines; since_last_read ->
  // from this reader's cursor; grep -> matching lines; none (or tail_lines) -> the last lines.
  std::optional<int> tail_lines;         // 1..kMaxTailLines, default kDefaultTailLines
  std::optional<int> head_lines;         // 1..kMaxTailLines
  std::optional<std::uint64_t> offset;
  bool since_last_read = false;
  std::optional<std::string> reader;     // whose cursor (since_last_read), 1..kMaxReaderBytes
  std::optional<std::string> grep;       // a regular expression (RE2 syntax)
  std::optional<int> context_lines;      // grep: 0..kMaxGrepContext
  std::optional<int> max_matches;        // grep: 1..kMaxGrepMatches
  bool ignore_case = false;              // grep
  std::optional<std::uint64_t> max_bytes;  // 1..kMaxMaxBytes, default kDefaultMaxBytes
  // Cap on the characters of `output` (after cleaning); absent: only max_bytes applies.
  std::optional<std::uint64_t> max_chars;  // 1..kMaxChars
  // Strip terminal escape sequences, show control bytes once (^A), fold \r-redrawn lines.
  bool clean = false;
  bool progress = false;  // also parse the progress marker of the output's end
};

struct GrepLine {
  std::uint64_t line = 0;  // 1-based line number (0 when unknown, e.g. past a cut)
  std::uint64_t offset = 0;
  std::string text;
};

struct GrepMatch {
  GrepLine line;
  std::vector<GrepLine> before;
  std::vector<GrepLine> after;
};

struct OutputResult {
  std::string task_id;
  std::string output;          // valid UTF-8
  std::uint64_t offset = 0;    // byte offset in the log where `output` starts
  std::uint64_t next_offset = 0;  // where the next read should start
  std::uint64_t output_bytes = 0;  // total size of the log
  bool truncated = false;  // tail: earlier output exists that was not returned; range: capped
  Status status = Status::working;
  std::optional<std::string> mode;  // tail, head, range, since_last_read, grep
  std::optional<std::uint64_t> chars;       // characters in `output`
  std::optional<std::uint64_t> first_line;  // line number of output's first line, when known
  std::optional<std::uint64_t> cut_bytes;   // the log's middle was cut (cap): this many bytes
  std::optional<std::string> log_path;
  std::optional<std::vector<GrepMatch>> matches;  // grep
  std::optional<bool> grep_complete;   // grep: the whole log was searched
  std::optional<std::uint64_t> scanned_to;  // grep: where the search stopped
  std::optional<Progress> progress;
};

struct CancelResult {
  TaskView task;
  bool cancelled = false;  // true if this call ended the task
  std::string message;
  std::vector<std::int64_t> survivors;  // pids still alive after the kill ladder's bound
};

struct InputParams {
  std::string task_id;
  std::string text;    // bytes to write (at most kMaxInputBytes)
  bool close = false;  // then end the task's input
};

struct InputResult {
  TaskView task;
  std::uint64_t written = 0;
};

struct ListParams {
  std::optional<int> limit;  // 1..kMaxListLimit, default kDefaultListLimit
  std::optional<Status> status;
  std::optional<std::string> label;
  std::optional<std::string> command_contains;
  std::optional<std::string> session;  // client.session of the starter
  std::optional<std::string> cursor;   // next_cursor of the previous page
};

struct ListResult {
  std::vector<TaskView> tasks;  // newest first
  std::uint64_t total = 0;      // tasks matching the filter
  std::optional<std::string> next_cursor;  // more tasks follow
};

struct WaitParams {
  std::vector<std::string> task_ids;  // 1..kMaxWaitTasks
  std::optional<double> timeout_seconds;  // 0..kMaxWaitSeconds, default kDefaultWaitSeconds
  bool any = false;             // "mode": "any": return when one listed task has ended
  bool report_unknown = false;  // list unknown ids in unknown_task_ids instead of failing
};

struct WaitResult {
  std::vector<TaskView> tasks;  // in the order asked
  bool all_finished = false;
  bool timed_out = false;  // the wait's own timeout passed first
  std::optional<bool> any_finished;  // mode any: at least one listed task has ended
  std::optional<std::vector<std::string>> unknown_task_ids;
};

struct PruneParams {
  std::optional<double> older_than_days;    // remove finished tasks older than this
  std::optional<std::uint64_t> keep_bytes;  // then oldest first until logs fit
  bool dry_run = false;
};

struct PruneResult {
  std::uint64_t removed = 0;
  std::uint64_t freed_bytes = 0;
  std::uint64_t kept_bytes = 0;  // log bytes of the finished tasks that remain
  std::vector<std::string> task_ids;  // removed (or, dry run, that would be), at most 1000
};

struct SubscribeParams {
  std::vector<std::string> task_ids;  // these tasks' events; empty with all = every task
  bool all = false;                   // every task's state changes (output growth only named)
  bool output = false;                // also output growth of the named tasks
};

struct SubscribeResult {
  std::uint64_t tasks = 0;  // tasks this connection now follows by name
  bool all = false;
  bool output = false;
};

// The params of an "event" notification.
struct Event {
  // "task": a task changed (task is set); "output": a task's log grew (task_id, output_bytes);
  // "removed": retention removed a task (task_id); "resync": events were dropped (nothing else).
  std::string kind;
  std::optional<TaskView> task;
  std::optional<std::string> task_id;  // output, removed
  std::optional<std::uint64_t> output_bytes;
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
  std::optional<std::uint64_t> log_bytes;        // disk used by task logs
  std::optional<double> keep_days;               // retention by age
  std::optional<std::uint64_t> keep_bytes;       // retention by size
  std::optional<std::string> dashboard_url;      // where the dashboard serves, when it does
};

// dashboard.open: the daemon serves its dashboard (from now on, if it did not) and mints a
// one-time access token.
struct DashboardOpenResult {
  std::string url;       // base_url with ?token=...: what a person opens
  std::string base_url;  // http://127.0.0.1:<port>/
  std::uint64_t port = 0;
  double token_expires_in_seconds = 0;  // the token works once, within this time
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
void to_json(nlohmann::json&, const Progress&);
void from_json(const nlohmann::json&, Progress&);
void to_json(nlohmann::json&, const GrepLine&);
void to_json(nlohmann::json&, const GrepMatch&);
void to_json(nlohmann::json&, const InputParams&);
void from_json(const nlohmann::json&, InputParams&);
void to_json(nlohmann::json&, const InputResult&);
void from_json(const nlohmann::json&, InputResult&);
void to_json(nlohmann::json&, const PruneParams&);
void from_json(const nlohmann::json&, PruneParams&);
void to_json(nlohmann::json&, const PruneResult&);
void from_json(const nlohmann::json&, PruneResult&);
void to_json(nlohmann::json&, const SubscribeParams&);
void from_json(const nlohmann::json&, SubscribeParams&);
void to_json(nlohmann::json&, const SubscribeResult&);
void from_json(const nlohmann::json&, SubscribeResult&);
void to_json(nlohmann::json&, const Event&);
void from_json(const nlohmann::json&, Event&);
void to_json(nlohmann::json&, const DashboardOpenResult&);
void from_json(const nlohmann::json&, DashboardOpenResult&);
void to_json(nlohmann::json&, Status);
void from_json(const nlohmann::json&, Status&);

}  // namespace bb::proto
