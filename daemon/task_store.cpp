#include "task_store.h"

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>

#include <SQLiteCpp/SQLiteCpp.h>

namespace bb {

namespace {

constexpr const char* kColumns =
    "seq, id, command, cwd, status, created_at_ms, started_at_ms, finished_at_ms, exit_code, "
    "signal, timeout_ms, deadline_ms, keeper_pid, keeper_start, keeper_boot, status_message, "
    "client_name, client_version, client_session, client_user, client_via, label, stdin_mode, "
    "idempotency_key, output_bytes";

template <typename T>
std::optional<T> opt(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return static_cast<T>(c.getInt64());
}

TaskRecord read_row(SQLite::Statement& q) {
  TaskRecord t;
  int i = 0;
  t.seq = q.getColumn(i++).getInt64();
  t.id = q.getColumn(i++).getString();
  t.command = q.getColumn(i++).getString();
  t.cwd = q.getColumn(i++).getString();
  t.status = proto::status_from_string(q.getColumn(i++).getString())
                 .value_or(proto::Status::interrupted);
  t.created_at_ms = q.getColumn(i++).getInt64();
  t.started_at_ms = opt<std::int64_t>(q.getColumn(i++));
  t.finished_at_ms = opt<std::int64_t>(q.getColumn(i++));
  t.exit_code = opt<int>(q.getColumn(i++));
  t.signal = opt<int>(q.getColumn(i++));
  t.timeout_ms = opt<std::int64_t>(q.getColumn(i++));
  t.deadline_ms = opt<std::int64_t>(q.getColumn(i++));
  t.keeper_pid = opt<std::int64_t>(q.getColumn(i++));
  t.keeper_start = opt<std::uint64_t>(q.getColumn(i++));
  t.keeper_boot = q.getColumn(i++).getString();
  t.status_message = q.getColumn(i++).getString();
  t.client_name = q.getColumn(i++).getString();
  t.client_version = q.getColumn(i++).getString();
  t.client_session = q.getColumn(i++).getString();
  t.client_user = q.getColumn(i++).getString();
  t.client_via = q.getColumn(i++).getString();
  t.label = q.getColumn(i++).getString();
  t.stdin_mode = q.getColumn(i++).getString();
  t.idempotency_key = q.getColumn(i++).getString();
  t.output_bytes = opt<std::uint64_t>(q.getColumn(i++));
  return t;
}

template <typename T>
void bind_opt(SQLite::Statement& q, int index, const std::optional<T>& v) {
  if (v)
    q.bind(index, static_cast<std::int64_t>(*v));
  else
    q.bind(index);
}

void bind_text_or_null(SQLite::Statement& q, int index, const std::string& v) {
  if (v.empty())
    q.bind(index);
  else
    q.bind(index, v);
}

}  // namespace

struct TaskStore::Impl {
  SQLite::Database db;
  // daemon.info's totals, counted once (at their first use) and then kept up to date by every
  // write below: the daemon is the only writer, and a scan of 100,000 rows took 30 ms.
  std::optional<std::map<std::string, std::uint64_t>> counts;  // tasks per status
  std::optional<std::uint64_t> finished_bytes;                 // output_bytes of ended tasks
  void counted(const std::string& status, std::int64_t n, std::uint64_t bytes) {
    if (counts) (*counts)[status] += static_cast<std::uint64_t>(n);
    if (!finished_bytes || status == proto::to_string(proto::Status::working)) return;
    if (n > 0)
      *finished_bytes += bytes;
    else
      *finished_bytes -= bytes;
  }
  SQLite::Statement insert;
  SQLite::Statement get;
  SQLite::Statement by_key;
  SQLite::Statement set_keeper;
  SQLite::Statement finish;
  SQLite::Statement get_cursor;
  SQLite::Statement put_cursor;
  SQLite::Statement sync_full;
  SQLite::Statement sync_normal;

  explicit Impl(const std::filesystem::path& path, bool flush_commits)
      : db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX),
        insert(db, prepare_schema_then(db,
                                       "INSERT OR IGNORE INTO tasks (id, command, cwd, status, "
                                       "created_at_ms, timeout_ms, deadline_ms, status_message, "
                                       "client_name, client_version, client_session, "
                                       "client_user, client_via, label, stdin_mode, "
                                       "idempotency_key) "
                                       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")),
        get(db, std::string("SELECT ") + kColumns + " FROM tasks WHERE id = ?"),
        by_key(db, std::string("SELECT ") + kColumns + " FROM tasks WHERE idempotency_key = ?"),
        set_keeper(db,
                   "UPDATE tasks SET keeper_pid = ?, keeper_start = ?, keeper_boot = ?, "
                   "started_at_ms = ? WHERE id = ? AND status = 'working'"),
        finish(db,
               "UPDATE tasks SET status = ?, exit_code = ?, signal = ?, finished_at_ms = ?, "
               "started_at_ms = COALESCE(?, started_at_ms), status_message = ?, "
               "output_bytes = ?, stdin_mode = CASE stdin_mode WHEN 'pipe' THEN 'closed' "
               "ELSE stdin_mode END WHERE id = ? AND status = 'working'"),
        get_cursor(db, "SELECT offset FROM read_cursors WHERE task_id = ? AND reader = ?"),
        put_cursor(db,
                   "INSERT INTO read_cursors (task_id, reader, offset, updated_at_ms) "
                   "VALUES (?,?,?,?) ON CONFLICT (task_id, reader) DO UPDATE SET "
                   "offset = excluded.offset, updated_at_ms = excluded.updated_at_ms"),
        sync_full(db, flush_commits ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"),
        sync_normal(db, "PRAGMA synchronous = NORMAL") {}

  // Runs before any statement is prepared, so the tables exist when they are.
  static std::string prepare_schema_then(SQLite::Database& db, std::string sql) {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
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
    if (version < 2) {
      for (const char* column :
           {"keeper_boot TEXT NOT NULL DEFAULT ''", "client_session TEXT NOT NULL DEFAULT ''",
            "client_user TEXT NOT NULL DEFAULT ''", "client_via TEXT NOT NULL DEFAULT ''",
            "label TEXT NOT NULL DEFAULT ''", "stdin_mode TEXT NOT NULL DEFAULT ''",
            "idempotency_key TEXT", "output_bytes INTEGER"})
        db.exec(std::string("ALTER TABLE tasks ADD COLUMN ") + column);
      db.exec(
          "CREATE UNIQUE INDEX tasks_by_idempotency_key ON tasks (idempotency_key) "
          "WHERE idempotency_key IS NOT NULL");
      db.exec("CREATE INDEX tasks_by_label ON tasks (label, seq) WHERE label != ''");
      db.exec("CREATE INDEX tasks_by_session ON tasks (client_session, seq)");
      db.exec("CREATE INDEX tasks_by_finish ON tasks (finished_at_ms) WHERE status != 'working'");
      db.exec(
          "CREATE TABLE read_cursors ("
          " task_id TEXT NOT NULL,"
          " reader TEXT NOT NULL,"
          " offset INTEGER NOT NULL,"
          " updated_at_ms INTEGER NOT NULL,"
          " PRIMARY KEY (task_id, reader)) WITHOUT ROWID");
    }
    db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
    tx.commit();
  }

  // For a commit that may be lost in a power cut without harm: no flush. Restores FULL after.
  template <typename F>
  void unflushed(F&& f) {
    sync_normal.tryReset();
    sync_normal.executeStep();
    try {
      f();
    } catch (...) {
      sync_full.tryReset();
      sync_full.executeStep();
      throw;
    }
    sync_full.tryReset();
    sync_full.executeStep();
  }
};

TaskStore::TaskStore(const std::filesystem::path& db_path, bool flush)
    : impl_(std::make_unique<Impl>(db_path, flush)) {
  if (!flush) {
    impl_->sync_full.tryReset();
    impl_->sync_full.executeStep();
  }
}
TaskStore::~TaskStore() = default;

bool TaskStore::insert(const TaskRecord& t, std::int64_t* seq) {
  auto& q = impl_->insert;
  // tryReset: a statement that failed last time (e.g. the disk was full) must not fail
  // again on its stale error; SQLiteCpp\'s reset() would rethrow it.
  q.tryReset();
  int i = 1;
  q.bind(i++, t.id);
  q.bind(i++, t.command);
  q.bind(i++, t.cwd);
  q.bind(i++, proto::to_string(t.status));
  q.bind(i++, static_cast<std::int64_t>(t.created_at_ms));
  bind_opt(q, i++, t.timeout_ms);
  bind_opt(q, i++, t.deadline_ms);
  q.bind(i++, t.status_message);
  q.bind(i++, t.client_name);
  q.bind(i++, t.client_version);
  q.bind(i++, t.client_session);
  q.bind(i++, t.client_user);
  q.bind(i++, t.client_via);
  q.bind(i++, t.label);
  q.bind(i++, t.stdin_mode);
  bind_text_or_null(q, i++, t.idempotency_key);
  if (q.exec() != 1) return false;
  if (seq != nullptr) *seq = impl_->db.getLastInsertRowid();
  impl_->counted(proto::to_string(t.status), 1, 0);  // output_bytes is recorded by finish()
  return true;
}

std::optional<TaskRecord> TaskStore::get(const std::string& id) {
  auto& q = impl_->get;
  q.tryReset();
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return read_row(q);
}

std::optional<TaskRecord> TaskStore::find_by_idempotency_key(const std::string& key) {
  auto& q = impl_->by_key;
  q.tryReset();
  q.bind(1, key);
  if (!q.executeStep()) return std::nullopt;
  return read_row(q);
}

void TaskStore::set_keeper(const std::string& id, std::int64_t pid, std::uint64_t start_time,
                           const std::string& boot_id, std::int64_t started_at_ms) {
  // The keeper's lock and run file identify it to a later daemon anyway: no flush needed.
  impl_->unflushed([&] {
    auto& q = impl_->set_keeper;
    q.tryReset();
    q.bind(1, static_cast<std::int64_t>(pid));
    q.bind(2, static_cast<std::int64_t>(start_time));
    q.bind(3, boot_id);
    q.bind(4, static_cast<std::int64_t>(started_at_ms));
    q.bind(5, id);
    q.exec();
  });
}

void TaskStore::set_stdin_mode(const std::string& id, const std::string& mode) {
  SQLite::Statement q(impl_->db, "UPDATE tasks SET stdin_mode = ? WHERE id = ?");
  q.bind(1, mode);
  q.bind(2, id);
  q.exec();
}

bool TaskStore::finish(const std::string& id, const Finish& f) {
  bool changed = false;
  auto run = [&] { changed = finish_statement(id, f); };
  if (f.durable_elsewhere)
    impl_->unflushed(run);
  else
    run();
  return changed;
}

bool TaskStore::finish_statement(const std::string& id, const Finish& f) {
  auto& q = impl_->finish;
  q.tryReset();
  q.bind(1, proto::to_string(f.status));
  bind_opt(q, 2, f.exit_code);
  bind_opt(q, 3, f.signal);
  q.bind(4, static_cast<std::int64_t>(f.finished_at_ms));
  bind_opt(q, 5, f.started_at_ms);
  q.bind(6, f.message);
  bind_opt(q, 7, f.output_bytes);
  q.bind(8, id);
  if (q.exec() != 1) return false;
  impl_->counted(proto::to_string(proto::Status::working), -1, 0);
  impl_->counted(proto::to_string(f.status), 1, f.output_bytes.value_or(0));
  return true;
}

namespace {

// WHERE clause and binder for a ListQuery.
struct Filter {
  std::string where;
  std::vector<std::function<void(SQLite::Statement&, int&)>> binds;
};

Filter filter_for(const ListQuery& q) {
  Filter f;
  auto add = [&](const char* clause, auto value) {
    f.where += f.where.empty() ? " WHERE " : " AND ";
    f.where += clause;
    f.binds.push_back([value](SQLite::Statement& s, int& i) { s.bind(i++, value); });
  };
  if (q.status) add("status = ?", std::string(proto::to_string(*q.status)));
  if (q.label) add("label = ?", *q.label);
  if (q.session) add("client_session = ?", *q.session);
  if (q.command_contains) add("instr(command, ?) > 0", *q.command_contains);
  if (q.before_seq) add("seq < ?", static_cast<std::int64_t>(*q.before_seq));
  if (q.client_name) add("client_name = ?", *q.client_name);
  if (q.text) {
    std::string lower = *q.text;
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    f.where += f.where.empty() ? " WHERE " : " AND ";
    f.where += "(instr(lower(command), ?) > 0 OR instr(lower(label), ?) > 0 OR id = ?)";
    f.binds.push_back([lower, exact = *q.text](SQLite::Statement& s, int& i) {
      s.bind(i++, lower);
      s.bind(i++, lower);
      s.bind(i++, exact);
    });
  }
  if (q.active_to_ms) add("COALESCE(started_at_ms, created_at_ms) <= ?", *q.active_to_ms);
  if (q.active_from_ms)
    add("(finished_at_ms IS NULL OR finished_at_ms >= ?)", *q.active_from_ms);
  return f;
}

}  // namespace

std::vector<TaskRecord> TaskStore::list(const ListQuery& lq) {
  const Filter f = filter_for(lq);
  SQLite::Statement q(impl_->db, std::string("SELECT ") + kColumns + " FROM tasks" + f.where +
                                     " ORDER BY seq DESC LIMIT ?");
  int i = 1;
  for (const auto& b : f.binds) b(q, i);
  q.bind(i, lq.limit);
  std::vector<TaskRecord> out;
  while (q.executeStep()) out.push_back(read_row(q));
  return out;
}

std::uint64_t TaskStore::count(const ListQuery& lq) {
  ListQuery all = lq;
  all.before_seq.reset();
  const Filter f = filter_for(all);
  SQLite::Statement q(impl_->db, "SELECT COUNT(*) FROM tasks" + f.where);
  int i = 1;
  for (const auto& b : f.binds) b(q, i);
  q.executeStep();
  return static_cast<std::uint64_t>(q.getColumn(0).getInt64());
}

std::map<std::string, std::uint64_t> TaskStore::counts() {
  if (impl_->counts) return *impl_->counts;
  std::map<std::string, std::uint64_t> out;
  for (auto s : proto::kAllStatuses) out[proto::to_string(s)] = 0;
  SQLite::Statement q(impl_->db, "SELECT status, COUNT(*) FROM tasks GROUP BY status");
  while (q.executeStep())
    out[q.getColumn(0).getString()] = static_cast<std::uint64_t>(q.getColumn(1).getInt64());
  impl_->counts = out;
  return out;
}

std::vector<std::string> TaskStore::distinct(const std::string& column, int limit) {
  if (column != "client_name" && column != "label")
    throw std::invalid_argument("distinct: no such column " + column);
  SQLite::Statement q(impl_->db, "SELECT " + column + ", COUNT(*) AS n FROM tasks WHERE " +
                                     column + " != '' GROUP BY " + column +
                                     " ORDER BY n DESC, " + column + " LIMIT ?");
  q.bind(1, limit);
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

std::vector<TaskRecord> TaskStore::working() {
  ListQuery q;
  q.limit = -1;
  q.status = proto::Status::working;
  return list(q);
}

std::vector<PruneCandidate> TaskStore::finished_oldest_first(int limit, int offset) {
  SQLite::Statement q(impl_->db,
                      "SELECT id, finished_at_ms, COALESCE(output_bytes, 0) FROM tasks "
                      "WHERE status != 'working' AND finished_at_ms IS NOT NULL "
                      "ORDER BY finished_at_ms ASC, seq ASC LIMIT ? OFFSET ?");
  q.bind(1, limit);
  q.bind(2, offset);
  std::vector<PruneCandidate> out;
  while (q.executeStep())
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt64(),
                   static_cast<std::uint64_t>(q.getColumn(2).getInt64())});
  return out;
}

std::uint64_t TaskStore::finished_output_bytes() {
  if (impl_->finished_bytes) return *impl_->finished_bytes;
  SQLite::Statement q(impl_->db,
                      "SELECT COALESCE(SUM(output_bytes), 0) FROM tasks WHERE status != 'working'");
  q.executeStep();
  impl_->finished_bytes = static_cast<std::uint64_t>(q.getColumn(0).getInt64());
  return *impl_->finished_bytes;
}

void TaskStore::remove(const std::string& id) {
  const auto row = get(id);
  SQLite::Transaction tx(impl_->db);
  SQLite::Statement c(impl_->db, "DELETE FROM read_cursors WHERE task_id = ?");
  c.bind(1, id);
  c.exec();
  SQLite::Statement t(impl_->db, "DELETE FROM tasks WHERE id = ? AND status != 'working'");
  t.bind(1, id);
  const int removed = t.exec();
  tx.commit();
  if (removed == 1 && row)
    impl_->counted(proto::to_string(row->status), -1, row->output_bytes.value_or(0));
}

std::optional<std::uint64_t> TaskStore::read_cursor(const std::string& task_id,
                                                    const std::string& reader) {
  auto& q = impl_->get_cursor;
  q.tryReset();
  q.bind(1, task_id);
  q.bind(2, reader);
  if (!q.executeStep()) return std::nullopt;
  return static_cast<std::uint64_t>(q.getColumn(0).getInt64());
}

void TaskStore::set_read_cursor(const std::string& task_id, const std::string& reader,
                                std::uint64_t offset, std::int64_t now) {
  impl_->unflushed([&] {
    auto& q = impl_->put_cursor;
    q.tryReset();
    q.bind(1, task_id);
    q.bind(2, reader);
    q.bind(3, static_cast<std::int64_t>(offset));
    q.bind(4, static_cast<std::int64_t>(now));
    q.exec();
  });
}

void TaskStore::set_busy_timeout(int ms) { impl_->db.setBusyTimeout(ms); }

}  // namespace bb
