// Unit: the SQLite store, on a real database file in a temp dir.
#include <gtest/gtest.h>
#include <SQLiteCpp/SQLiteCpp.h>

#include "paths.h"
#include "task_store.h"

namespace bb {
namespace {

using proto::Status;

TaskRecord record(const std::string& id, std::int64_t created = 1000) {
  TaskRecord t;
  t.id = id;
  t.command = "echo " + id;
  t.cwd = "/tmp";
  t.created_at_ms = created;
  t.client_name = "tests";
  t.client_version = "1";
  return t;
}

TEST(TaskStore, AnInsertedTaskReadsBackWithEveryField) {
  test::TempDir dir;
  TaskStore store(dir.path() / "db");
  TaskRecord t = record("a");
  t.timeout_ms = 1500;
  t.deadline_ms = 2500;
  ASSERT_TRUE(store.insert(t));
  store.set_keeper("a", 42, 777, "boot-1", 1001);
  auto got = store.get("a");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->command, "echo a");
  EXPECT_EQ(got->status, Status::working);
  EXPECT_EQ(got->timeout_ms, 1500);
  EXPECT_EQ(got->deadline_ms, 2500);
  EXPECT_EQ(got->keeper_pid, 42);
  EXPECT_EQ(got->keeper_start, 777u);
  EXPECT_EQ(got->started_at_ms, 1001);
  EXPECT_EQ(got->client_name, "tests");
  EXPECT_FALSE(store.get("missing"));
}

TEST(TaskStore, ADuplicateIdIsRefusedSoTheCallerDrawsAnother) {
  test::TempDir dir;
  TaskStore store(dir.path() / "db");
  EXPECT_TRUE(store.insert(record("a")));
  EXPECT_FALSE(store.insert(record("a")));
}

TEST(TaskStore, TerminalStatusesNeverChange) {
  test::TempDir dir;
  TaskStore store(dir.path() / "db");
  store.insert(record("a"));
  Finish f;
  f.status = Status::completed;
  f.exit_code = 0;
  f.finished_at_ms = 2000;
  EXPECT_TRUE(store.finish("a", f));
  Finish again;
  again.status = Status::interrupted;
  again.finished_at_ms = 3000;
  EXPECT_FALSE(store.finish("a", again));
  auto got = store.get("a");
  EXPECT_EQ(got->status, Status::completed);
  EXPECT_EQ(got->finished_at_ms, 2000);
}

TEST(TaskStore, ListingIsNewestFirstFilteredAndCounted) {
  test::TempDir dir;
  TaskStore store(dir.path() / "db");
  for (int i = 0; i < 5; ++i) store.insert(record("t" + std::to_string(i), 1000 + i));
  Finish f;
  f.status = Status::failed;
  f.exit_code = 1;
  f.finished_at_ms = 5000;
  store.finish("t1", f);
  auto newest = store.list(ListQuery{.limit = 2});
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(newest[0].id, "t4");
  EXPECT_EQ(newest[1].id, "t3");
  auto failed = store.list(ListQuery{.limit = 10, .status = Status::failed});
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].id, "t1");
  EXPECT_EQ(store.count(ListQuery{}), 5u);
  EXPECT_EQ(store.working().size(), 4u);
  auto counts = store.counts();
  EXPECT_EQ(counts["working"], 4u);
  EXPECT_EQ(counts["failed"], 1u);
  EXPECT_EQ(counts["timed_out"], 0u);
}

// daemon.info's totals are kept up to date by every write instead of scanning each time: they
// equal what a fresh scan (another store on the same file) counts, after every kind of write.
TEST(TaskStore, CountsAndLogBytesKeptByWritesEqualAFreshScan) {
  test::TempDir dir;
  TaskStore store(dir.path() / "db");
  for (auto id : {"a", "b", "c", "d"}) ASSERT_TRUE(store.insert(record(id)));
  EXPECT_EQ(store.counts()["working"], 4u);
  EXPECT_EQ(store.finished_output_bytes(), 0u);
  auto same_as_fresh = [&](const char* step) {
    TaskStore fresh(dir.path() / "db");
    EXPECT_EQ(store.counts(), fresh.counts()) << step;
    EXPECT_EQ(store.finished_output_bytes(), fresh.finished_output_bytes()) << step;
  };
  Finish f;
  f.finished_at_ms = 2000;
  f.output_bytes = 100;
  ASSERT_TRUE(store.finish("a", f));
  f.status = Status::failed;
  f.output_bytes = 20;
  ASSERT_TRUE(store.finish("b", f));
  EXPECT_FALSE(store.finish("b", f));  // already terminal: counted once
  same_as_fresh("after finishes");
  EXPECT_EQ(store.finished_output_bytes(), 120u);
  store.remove("a");
  store.remove("c");  // working: not removed, not uncounted
  store.remove("nope");
  same_as_fresh("after removes");
  EXPECT_EQ(store.finished_output_bytes(), 20u);
  TaskRecord ended = record("e");
  ended.status = Status::failed;  // recorded already ended (it could not start)
  ended.output_bytes = 7;  // not recorded by an insert: finish() records a log's size
  ASSERT_TRUE(store.insert(ended));
  EXPECT_FALSE(store.insert(record("e")));  // a duplicate id counts nothing
  same_as_fresh("after inserts");
  EXPECT_EQ(store.counts()["working"], 2u);
  EXPECT_EQ(store.counts()["failed"], 2u);
  EXPECT_EQ(store.finished_output_bytes(), 20u);
}

TEST(TaskStore, TheDatabaseIsInWalModeWithAVersionedSchema) {
  test::TempDir dir;
  { TaskStore store(dir.path() / "db"); }
  SQLite::Database db((dir.path() / "db").string());
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), TaskStore::kSchemaVersion);
}

TEST(TaskStore, ReopeningKeepsEveryTask) {
  test::TempDir dir;
  { TaskStore store(dir.path() / "db"); store.insert(record("a")); }
  TaskStore again(dir.path() / "db");
  EXPECT_TRUE(again.get("a"));
}

TEST(TaskStore, ADatabaseFromANewerVersionIsRefusedWithAClearMessage) {
  test::TempDir dir;
  {
    SQLite::Database db((dir.path() / "db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version = 99");
  }
  try {
    TaskStore store(dir.path() / "db");
    FAIL() << "opened a newer schema";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos);
  }
}

TEST(TaskStore, ListingUsesAnIndexRatherThanSortingEveryRow) {
  test::TempDir dir;
  { TaskStore store(dir.path() / "db"); }
  SQLite::Database db((dir.path() / "db").string());
  SQLite::Statement q(db, "EXPLAIN QUERY PLAN SELECT id FROM tasks WHERE status = 'working' ORDER BY seq DESC LIMIT 50");
  std::string plan;
  while (q.executeStep()) plan += q.getColumn(3).getString() + "\n";
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  EXPECT_NE(plan.find("tasks_by_status"), std::string::npos) << plan;
}

}  // namespace
}  // namespace bb
