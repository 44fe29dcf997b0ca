#include "task_store.h"

#include <stdexcept>

#include <SQLiteCpp/SQLiteCpp.h>

namespace bb {

namespace {

constexpr const char* kColumns =
    "id, command, cwd, status, created_at_ms, started_at_ms, finished_at_ms, exit_code, signal, "
    "timeout_ms, deadline_ms, keeper_pid, keeper_start, status_message, client_name, "
    "client_version";

template <typename T>
std::optional<T> opt(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return static_cast<T>(c.getInt64());
}

TaskRecord read_row(SQLite::Statement& q) {
  TaskRecord t;
  t.id = q.getColumn(0).getString();
  t.command = q.getColumn(1).getString();
  t.cwd = q.getColumn(2).getString();
  t.status = proto::status_from_string(q.getColumn(3).getString()).value_or(proto::Status::interrupted);
  t.created_at_ms = q.getColumn(4).getInt64();
  t.started_at_ms = opt<std::int64_t>(q.getColumn(5));
  t.finished_at_ms = opt<std::int64_t>(q.getColumn(6));
  t.exit_code = opt<int>(q.getColumn(7));
  t.signal = opt<int>(q.getColumn(8));
  t.timeout_ms = opt<std::int64_t>(q.getColumn(9));
  t.deadline_ms = opt<std::int64_t>(q.getColumn(10));
  t.keeper_pid = opt<std::int64_t>(q.getColumn(11));
  t.keeper_start = opt<std::uint64_t>(q.getColumn(12));
  t.status_message = q.getColumn(13).getString();
  t.client_name = q.getColumn(14).getString();
  t.client_version = q.getColumn(15).getString();
  return t;
}

template <typename T>
void bind_opt(SQLite::Statement& q, int index, const std::optional<T>& v) {
  if (v)
    q.bind(index, static_cast<std::int64_t>(*v));
  else
    q.bind(index);
}

}  // namespace

struct TaskStore::Impl {
  SQLite::Database db;
  SQLite::Statement insert;
  SQLite::Statement get;
  SQLite::Statement set_keeper;
  SQLite::Statement finish;

  explicit Impl(const std::filesystem::path& path)
      : db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX),
        insert(db, prepare_schema_then(db,
                                   std::string("INSERT OR IGNORE INTO tasks (") + kColumns +
                                       ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")),
        get(db, std::string("SELECT ") + kColumns + " FROM tasks WHERE id = ?"),
        set_keeper(db,
                   "UPDATE tasks SET keeper_pid = ?, keeper_start = ?, started_at_ms = ? "
                   "WHERE id = ? AND status = 'working'"),
        finish(db,
               "UPDATE tasks SET status = ?, exit_code = ?, signal = ?, finished_at_ms = ?, "
               "started_at_ms = COALESCE(?, started_at_ms), status_message = ? "
               "WHERE id = ? AND status = 'working'") {}

  // Runs before any statement is prepared, so the table exists when they are.
  static std::string prepare_schema_then(SQLite::Database& db, std::string sql) {
    db.exec("PRAGMA journal_mode = WAL");
    // NORMAL in WAL mode: a commit survives any crash of the daemon; only a power loss can
    // roll back the last commits (the tasks' processes die with the machine anyway).
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
    db.setBusyTimeout(5000);
    migrate(db);
    return sql;
  }

  static void migrate(SQLite::Database& db) {
    int version = db.execAndGet("PRAGMA user_version").getInt();
    if (version > kSchemaVersion)
      throw std::runtime_error("the database schema version " + std::to_string(version) +
                               " is newer than this backburnerd understands (" +
                               std::to_string(kSchemaVersion) + "); upgrade backburner");
    if (version == kSchemaVersion) return;
    SQLite::Transaction tx(db);
    if (version < 1) {
      // seq orders tasks by creation; listing the newest N walks the primary key backwards.
      db.exec(
          "CREATE TABLE tasks ("
          " seq INTEGER PRIMARY KEY,"
          " id TEXT NOT NULL UNIQUE,"
          " command TEXT NOT NULL,"
          " cwd TEXT NOT NULL,"
          " status TEXT NOT NULL,"
          " created_at_ms INTEGER NOT NULL,"
          " started_at_ms INTEGER,"
          " finished_at_ms INTEGER,"
          " exit_code INTEGER,"
          " signal INTEGER,"
          " timeout_ms INTEGER,"
          " deadline_ms INTEGER,"
          " keeper_pid INTEGER,"
          " keeper_start INTEGER,"
          " status_message TEXT NOT NULL DEFAULT '',"
          " client_name TEXT NOT NULL DEFAULT '',"
          " client_version TEXT NOT NULL DEFAULT '')");
      db.exec("CREATE INDEX tasks_by_status ON tasks (status, seq)");
    }
    db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
    tx.commit();
  }
};

TaskStore::TaskStore(const std::filesystem::path& db_path) : impl_(std::make_unique<Impl>(db_path)) {}
TaskStore::~TaskStore() = default;

bool TaskStore::insert(const TaskRecord& t) {
  auto& q = impl_->insert;
  q.reset();
  q.bind(1, t.id);
  q.bind(2, t.command);
  q.bind(3, t.cwd);
  q.bind(4, proto::to_string(t.status));
  q.bind(5, static_cast<std::int64_t>(t.created_at_ms));
  bind_opt(q, 6, t.started_at_ms);
  bind_opt(q, 7, t.finished_at_ms);
  bind_opt(q, 8, t.exit_code);
  bind_opt(q, 9, t.signal);
  bind_opt(q, 10, t.timeout_ms);
  bind_opt(q, 11, t.deadline_ms);
  bind_opt(q, 12, t.keeper_pid);
  bind_opt(q, 13, t.keeper_start);
  q.bind(14, t.status_message);
  q.bind(15, t.client_name);
  q.bind(16, t.client_version);
  return q.exec() == 1;
}

std::optional<TaskRecord> TaskStore::get(const std::string& id) {
  auto& q = impl_->get;
  q.reset();
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return read_row(q);
}

void TaskStore::set_keeper(const std::string& id, std::int64_t pid, std::uint64_t start_time,
                           std::int64_t started_at_ms) {
  auto& q = impl_->set_keeper;
  q.reset();
  q.bind(1, static_cast<std::int64_t>(pid));
  q.bind(2, static_cast<std::int64_t>(start_time));
  q.bind(3, static_cast<std::int64_t>(started_at_ms));
  q.bind(4, id);
  q.exec();
}

bool TaskStore::finish(const std::string& id, const Finish& f) {
  auto& q = impl_->finish;
  q.reset();
  q.bind(1, proto::to_string(f.status));
  bind_opt(q, 2, f.exit_code);
  bind_opt(q, 3, f.signal);
  q.bind(4, static_cast<std::int64_t>(f.finished_at_ms));
  bind_opt(q, 5, f.started_at_ms);
  q.bind(6, f.message);
  q.bind(7, id);
  return q.exec() == 1;
}

std::vector<TaskRecord> TaskStore::list(int limit, std::optional<proto::Status> status) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM tasks";
  if (status) sql += " WHERE status = ?";
  sql += " ORDER BY seq DESC LIMIT ?";
  SQLite::Statement q(impl_->db, sql);
  int i = 1;
  if (status) q.bind(i++, proto::to_string(*status));
  q.bind(i, limit);
  std::vector<TaskRecord> out;
  while (q.executeStep()) out.push_back(read_row(q));
  return out;
}

std::uint64_t TaskStore::count(std::optional<proto::Status> status) {
  SQLite::Statement q(impl_->db, status ? "SELECT COUNT(*) FROM tasks WHERE status = ?"
                                        : "SELECT COUNT(*) FROM tasks");
  if (status) q.bind(1, proto::to_string(*status));
  q.executeStep();
  return static_cast<std::uint64_t>(q.getColumn(0).getInt64());
}

std::map<std::string, std::uint64_t> TaskStore::counts() {
  std::map<std::string, std::uint64_t> out;
  for (auto s : {proto::Status::working, proto::Status::completed, proto::Status::failed,
                 proto::Status::cancelled, proto::Status::timed_out, proto::Status::interrupted})
    out[proto::to_string(s)] = 0;
  SQLite::Statement q(impl_->db, "SELECT status, COUNT(*) FROM tasks GROUP BY status");
  while (q.executeStep())
    out[q.getColumn(0).getString()] = static_cast<std::uint64_t>(q.getColumn(1).getInt64());
  return out;
}

std::vector<TaskRecord> TaskStore::working() { return list(-1, proto::Status::working); }

void TaskStore::set_busy_timeout(int ms) { impl_->db.setBusyTimeout(ms); }

}  // namespace bb
