// The SQLite store: the one durable record of every task. Only the daemon writes it, from its
// one Asio thread. Every change is its own transaction; terminal statuses never change.
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
  std::string status_message;
  std::string client_name;
  std::string client_version;
};

struct Finish {
  proto::Status status = proto::Status::completed;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::int64_t finished_at_ms = 0;
  std::optional<std::int64_t> started_at_ms;  // refines the recorded start when known
  std::string message;
};

class TaskStore {
 public:
  // Opens (creating if needed) the database, in WAL mode, and migrates the schema.
  // Throws SQLite::Exception or std::runtime_error with a readable message.
  explicit TaskStore(const std::filesystem::path& db_path);
  ~TaskStore();
  TaskStore(const TaskStore&) = delete;
  TaskStore& operator=(const TaskStore&) = delete;

  static constexpr int kSchemaVersion = 1;

  // False if the id is taken (the caller draws another).
  bool insert(const TaskRecord& task);
  std::optional<TaskRecord> get(const std::string& id);
  void set_keeper(const std::string& id, std::int64_t pid, std::uint64_t start_time,
                  std::int64_t started_at_ms);
  // Moves a working task to a terminal status. False if it was already terminal (unchanged).
  bool finish(const std::string& id, const Finish& f);
  std::vector<TaskRecord> list(int limit, std::optional<proto::Status> status);
  std::uint64_t count(std::optional<proto::Status> status);
  std::map<std::string, std::uint64_t> counts();
  std::vector<TaskRecord> working();

  // How long a statement waits for another writer before throwing "database is locked".
  void set_busy_timeout(int ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bb
