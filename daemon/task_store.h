// The SQLite store: the one durable record of every task. Only the daemon writes it, from its
// one Asio thread. Every change is its own transaction; terminal statuses never change.
//
// Durability: commits that clients are told about (a task created, a task's end recorded) are
// flushed to stable storage before the daemon answers (PRAGMA synchronous=FULL for them), so an
// acknowledged start or a reported end survives a power loss. Bookkeeping that a crash may
// lose without harm (a keeper's pid, read cursors) is committed without the flush.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol.h"

namespace bb {

struct TaskRecord {
  std::int64_t seq = 0;  // creation order; set by the store
  std::string id;
  std::string command;
  std::string cwd;
  proto::Status status = proto::Status::working;
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> started_at_ms;
  std::optional<std::int64_t> finished_at_ms;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::optional<std::int64_t> timeout_ms;
  std::optional<std::int64_t> deadline_ms;  // wall clock, enforced by the keeper
  std::optional<std::int64_t> keeper_pid;
  std::optional<std::uint64_t> keeper_start;
  std::string keeper_boot;  // the boot the keeper ran in ("" unknown)
  std::string status_message;
  std::string client_name;
  std::string client_version;
  std::string client_session;
  std::string client_user;
  std::string client_via;  // the relay that passed the request on (e.g. backburner-mcp 0.2.0)
  std::string label;
  std::string stdin_mode;  // "" none, "pipe", "closed"
  std::string idempotency_key;  // "" none
  std::optional<std::uint64_t> output_bytes;  // the log's size, recorded once the task ended
};

struct Finish {
  proto::Status status = proto::Status::completed;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::int64_t finished_at_ms = 0;
  std::optional<std::int64_t> started_at_ms;  // refines the recorded start when known
  std::string message;
  std::optional<std::uint64_t> output_bytes;
  // The end is already on stable storage elsewhere (the keeper's flushed outcome file, from
  // which a later reconcile would record it again): the commit need not wait for the disk.
  bool durable_elsewhere = false;
};

struct ListQuery {
  int limit = proto::kDefaultListLimit;  // < 0: no limit
  std::optional<proto::Status> status;
  std::optional<std::string> label;             // exact
  std::optional<std::string> command_contains;  // substring, case-sensitive
  std::optional<std::string> session;           // client_session, exact
  std::optional<std::int64_t> before_seq;       // only tasks older than this one (paging)
  std::optional<std::string> client_name;       // exact
  // Case-insensitive (ASCII) substring of the command or the label, or the exact id.
  std::optional<std::string> text;
  // Only tasks that were alive at some moment of [active_from_ms, active_to_ms]: started (or
  // created) by its end and not finished before its start.
  std::optional<std::int64_t> active_from_ms, active_to_ms;
};

// A finished task that retention may remove, oldest first.
struct PruneCandidate {
  std::string id;
  std::int64_t finished_at_ms = 0;
  std::uint64_t output_bytes = 0;
};

class TaskStore {
 public:
  // Opens (creating if needed) the database, in WAL mode, and migrates the schema.
  // Throws SQLite::Exception or std::runtime_error with a readable message.
  // `flush`: commits clients are told about wait for the disk (synchronous=FULL); false
  // (BACKBURNER_DURABILITY=fast): nothing waits (NORMAL), a power cut may lose the last commits.
  explicit TaskStore(const std::filesystem::path& db_path, bool flush = true);
  ~TaskStore();
  TaskStore(const TaskStore&) = delete;
  TaskStore& operator=(const TaskStore&) = delete;

  static constexpr int kSchemaVersion = 2;

  // False if the id is taken (the caller draws another). Flushed to disk before it returns.
  // `seq`, when given, receives the new row's creation order.
  bool insert(const TaskRecord& task, std::int64_t* seq = nullptr);
  std::optional<TaskRecord> get(const std::string& id);
  std::optional<TaskRecord> find_by_idempotency_key(const std::string& key);
  void set_keeper(const std::string& id, std::int64_t pid, std::uint64_t start_time,
                  const std::string& boot_id, std::int64_t started_at_ms);
  void set_stdin_mode(const std::string& id, const std::string& mode);
  // Moves a working task to a terminal status. False if it was already terminal (unchanged).
  // Flushed to disk before it returns, unless f.durable_elsewhere.
  bool finish(const std::string& id, const Finish& f);
  std::vector<TaskRecord> list(const ListQuery& q);
  std::uint64_t count(const ListQuery& q);
  std::map<std::string, std::uint64_t> counts();
  // The distinct non-empty values of `column` ("client_name" or "label"), most used first.
  std::vector<std::string> distinct(const std::string& column, int limit);
  std::vector<TaskRecord> working();

  // Retention: finished tasks, oldest end first; and the total log bytes they hold.
  std::vector<PruneCandidate> finished_oldest_first(int limit, int offset = 0);
  std::uint64_t finished_output_bytes();
  void remove(const std::string& id);  // the row and its read cursors

  // Per-reader read positions in a task's log (task.output since_last_read).
  std::optional<std::uint64_t> read_cursor(const std::string& task_id, const std::string& reader);
  void set_read_cursor(const std::string& task_id, const std::string& reader,
                       std::uint64_t offset, std::int64_t now_ms);

  // How long a statement waits for another writer before throwing "database is locked".
  void set_busy_timeout(int ms);

 private:
  bool finish_statement(const std::string& id, const Finish& f);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bb
