// End to end: reading output the ways agents need it, and controlling a running task: paging
// by offset, head, per-reader cursors, grep, cleaned and character-capped text, stdin, labels,
// list filters and paging, waits for any of many tasks, idempotent starts.
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon_fixture.h"
#include "task_commands.h"

namespace bb::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class DaemonOutput : public ::testing::Test {
 protected:
  void SetUp() override { d.start(); }
  json start(const std::string& command, json extra = json::object()) {
    json p = {{"command", command}, {"cwd", d.home().string()}, {"env", d.task_env()}};
    p.update(extra);
    return d.call("task.start", p);
  }
  json output(json params) { return d.call("task.output", params); }
  DaemonFixture d;
};

TEST_F(DaemonOutput, PagingByOffsetReadsTheWholeLogByteForByteNeverSplittingACharacter) {
  // 50,000 lines with multi-byte characters, read in small pages.
  json t = start(cmd::print_lines(50000, "line-é€𝄞"));
  d.wait_task(t["task_id"], 60);
  std::ifstream f(d.task_dir(t["task_id"]) / "output.log", std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::string read;
  std::uint64_t offset = 0;
  int pages = 0;
  for (;;) {
    json r = output({{"task_id", t["task_id"]}, {"offset", offset}, {"max_bytes", 65537}});
    read += r["output"].get<std::string>();
    ASSERT_GE(r["next_offset"].get<std::uint64_t>(), offset);
    ++pages;
    if (r["next_offset"] == r["output_bytes"]) break;
    offset = r["next_offset"];
  }
  EXPECT_EQ(read, file);
  EXPECT_GT(pages, 10);
}

TEST_F(DaemonOutput, HeadLinesReadsTheStart) {
  json t = start(cmd::count(1, 1000));
  d.wait_task(t["task_id"]);
  json r = output({{"task_id", t["task_id"]}, {"head_lines", 3}});
  EXPECT_EQ(r["output"], "1\n2\n3\n");
  EXPECT_EQ(r["first_line"], 1);
  EXPECT_TRUE(r["truncated"]);
  EXPECT_EQ(r["next_offset"], 6);
}

TEST_F(DaemonOutput, SinceLastReadReturnsEachLineOnceToEachReader) {
  const auto gate = d.home() / "gate";
  json t = start(cmd::then(cmd::print_lines(200, "line", 0.005),
                           cmd::then(cmd::wait_for_file(gate), cmd::print_line("last"))));
  const std::string id = t["task_id"];
  std::string a, b;
  for (int i = 0; i < 20; ++i) {
    a += output({{"task_id", id}, {"since_last_read", true}, {"reader", "a"}})["output"]
             .get<std::string>();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::ofstream(gate).put('x');
  d.wait_task(id);
  a += output({{"task_id", id}, {"since_last_read", true}, {"reader", "a"}})["output"]
           .get<std::string>();
  b = output({{"task_id", id}, {"since_last_read", true}, {"reader", "b"}})["output"]
          .get<std::string>();
  std::string expected;
  for (int i = 1; i <= 200; ++i) expected += "line " + std::to_string(i) + "\n";
  expected += "last\n";
  EXPECT_EQ(a, expected);  // every line exactly once across the reads
  EXPECT_EQ(b, expected);  // another reader has a cursor of its own
  EXPECT_EQ(output({{"task_id", id}, {"since_last_read", true}, {"reader", "a"}})["output"], "");
}

TEST_F(DaemonOutput, GrepFindsLinesWithContextAndLineNumbers) {
  json t = start(cmd::then(cmd::count(1, 54320), cmd::then(cmd::print_text("needle 54321\n"),
                                                           cmd::count(54322, 100000))));
  d.wait_task(t["task_id"], 60);
  json r = output({{"task_id", t["task_id"]}, {"grep", "needle"}, {"context_lines", 1}});
  ASSERT_EQ(r["matches"].size(), 1u);
  EXPECT_EQ(r["matches"][0]["line"], 54321);
  EXPECT_EQ(r["matches"][0]["text"], "needle 54321");
  EXPECT_EQ(r["matches"][0]["before"][0]["text"], "54320");
  EXPECT_EQ(r["matches"][0]["after"][0]["text"], "54322");
  EXPECT_TRUE(r["grep_complete"]);
  // Bad patterns get a clear error; a pattern built to backtrack is just slow for nobody.
  auto bad = d.try_call("task.output", {{"task_id", t["task_id"]}, {"grep", "(unclosed"}});
  ASSERT_TRUE(std::holds_alternative<RpcError>(bad));
  EXPECT_EQ(std::get<RpcError>(bad).code, -32602);
  json hostile = output({{"task_id", t["task_id"]}, {"grep", "(a+)+$"}});
  EXPECT_TRUE(hostile["matches"].empty());
}

TEST_F(DaemonOutput, CleanTextStripsEscapesShowsControlsOnceAndCapsCharacters) {
  json t = start(
      cmd::then(cmd::print_text("\033[31mred\033[0m\n\001\n"), cmd::print_text("10%\r50%\r90%\n")));
  d.wait_task(t["task_id"]);
  json r = output({{"task_id", t["task_id"]}, {"clean", true}});
  EXPECT_EQ(r["output"], "red\n^A\n90%\n");
  json capped = output({{"task_id", t["task_id"]}, {"clean", true}, {"offset", 0}, {"max_chars", 4}});
  EXPECT_EQ(capped["output"], "red\n");
  EXPECT_TRUE(capped["truncated"]);
  // Paging on from next_offset skips nothing.
  json next = output({{"task_id", t["task_id"]},
                      {"clean", true},
                      {"offset", capped["next_offset"]},
                      {"max_chars", 100}});
  EXPECT_EQ(next["output"], "^A\n90%\n");
}

TEST_F(DaemonOutput, ProgressIsParsedFromTheEndOfTheOutput) {
  const auto gate = d.home() / "gate";
  json t = start(cmd::then(cmd::print_text("::progress 3/7 building\n"), cmd::wait_for_file(gate)));
  ASSERT_TRUE(eventually([&] {
    json v = d.call("task.get", {{"task_id", t["task_id"]}});
    return v.contains("progress") && v["progress"].value("current", 0) == 3;
  }));
  json v = d.call("task.get", {{"task_id", t["task_id"]}});
  EXPECT_EQ(v["progress"]["total"], 7);
  EXPECT_EQ(v["progress"]["message"], "building");
  std::ofstream(gate).put('x');
  d.wait_task(t["task_id"]);
}

TEST_F(DaemonOutput, ATaskReadsItsStdinFromTaskInputAndEndsWhenItIsClosed) {
  json t = start(cmd::copy_stdin(), {{"stdin", "pipe"}});
  const std::string id = t["task_id"];
  EXPECT_EQ(t["stdin"], "pipe");
  ASSERT_TRUE(eventually([&] {
    return std::holds_alternative<json>(
        d.try_call("task.input", {{"task_id", id}, {"text", "first\n"}}));
  }));
  d.call("task.input", {{"task_id", id}, {"text", "second\nrest\n"}});
  json closed = d.call("task.input", {{"task_id", id}, {"close", true}});
  EXPECT_EQ(closed["task"]["stdin"], "closed");
  json done = d.wait_task(id);
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(output({{"task_id", id}})["output"], "first\nsecond\nrest\neof\n");
  // Clear errors: input to a finished task, to a task without stdin, too much at once.
  auto finished = d.try_call("task.input", {{"task_id", id}, {"text", "x"}});
  ASSERT_TRUE(std::holds_alternative<RpcError>(finished));
  EXPECT_EQ(std::get<RpcError>(finished).code, 1009);
  json plain = start(cmd::sleep(5));
  auto none = d.try_call("task.input", {{"task_id", plain["task_id"]}, {"text", "x"}});
  ASSERT_TRUE(std::holds_alternative<RpcError>(none));
  EXPECT_EQ(std::get<RpcError>(none).data["reason"], "no_stdin");
  auto huge = d.try_call("task.input", {{"task_id", plain["task_id"]}, {"text", std::string(1 << 20, 'x')}});
  ASSERT_TRUE(std::holds_alternative<RpcError>(huge));
  EXPECT_EQ(std::get<RpcError>(huge).code, -32602);
  d.call("task.cancel", {{"task_id", plain["task_id"]}});
}

TEST_F(DaemonOutput, InputFasterThanTheTaskReadsIsRefusedNotBlocking) {
  json t = start(cmd::sleep(30), {{"stdin", "pipe"}});
  const std::string id = t["task_id"];
  ASSERT_TRUE(eventually([&] {
    return std::holds_alternative<json>(d.try_call("task.input", {{"task_id", id}, {"text", "a"}}));
  }));
  const std::string chunk(64 * 1024, 'x');
  int refused = 0;
  for (int i = 0; i < 40 && refused == 0; ++i) {
    auto r = d.try_call("task.input", {{"task_id", id}, {"text", chunk}});
    if (auto* e = std::get_if<RpcError>(&r)) {
      EXPECT_EQ(e->data["reason"], "input_full");
      ++refused;
    }
  }
  EXPECT_EQ(refused, 1);
  // The daemon still serves.
  EXPECT_EQ(d.call("task.get", {{"task_id", id}})["status"], "working");
  d.call("task.cancel", {{"task_id", id}});
}

TEST_F(DaemonOutput, ListFiltersByLabelCommandAndSessionAndPagesWithACursor) {
  for (int i = 0; i < 5; ++i) start("echo " + std::to_string(i), {{"label", i % 2 ? "odd" : "even"}});
  start("echo special-word", {{"client", {{"name", "agent"}, {"version", "1"}, {"session", "s1"}}}});
  EXPECT_EQ(d.call("task.list", {{"label", "odd"}})["total"], 2);
  EXPECT_EQ(d.call("task.list", {{"command_contains", "special"}})["total"], 1);
  json mine = d.call("task.list", {{"session", "s1"}});
  ASSERT_EQ(mine["tasks"].size(), 1u);
  EXPECT_EQ(mine["tasks"][0]["client"]["name"], "agent");
  EXPECT_EQ(mine["tasks"][0]["client"]["via"], "bb-tests 0");
  std::set<std::string> seen;
  json page = d.call("task.list", {{"limit", 2}});
  for (;;) {
    for (const auto& t : page["tasks"]) EXPECT_TRUE(seen.insert(t["task_id"]).second);
    if (!page.contains("next_cursor")) break;
    page = d.call("task.list", {{"limit", 2}, {"cursor", page["next_cursor"]}});
  }
  EXPECT_EQ(seen.size(), 6u);
}

TEST_F(DaemonOutput, WaitAnyAnswersWhenOneTaskEndsAndReportsUnknownIds) {
  json slow = start(cmd::sleep(30));
  json quick = start(cmd::succeed());
  json r = d.call("task.wait", {{"task_ids", {slow["task_id"], quick["task_id"], "nosuchtask"}},
                                {"mode", "any"},
                                {"report_unknown", true},
                                {"timeout_seconds", 20}});
  EXPECT_TRUE(r["any_finished"]);
  EXPECT_FALSE(r["all_finished"]);
  EXPECT_FALSE(r["timed_out"]);
  EXPECT_EQ(r["unknown_task_ids"], json::array({"nosuchtask"}));
  d.call("task.cancel", {{"task_id", slow["task_id"]}});
}

TEST_F(DaemonOutput, ARepeatedStartWithTheSameKeyStartsNothingNew) {
  const std::string once = cmd::print_line("once") + " >> ran.txt";
  json a = start(once, {{"idempotency_key", "key-1"}});
  json b = start(once, {{"idempotency_key", "key-1"}});
  EXPECT_EQ(a["task_id"], b["task_id"]);
  d.wait_task(a["task_id"]);
  std::ifstream f(d.home() / "ran.txt");
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all, "once\n");
  auto other = d.try_call("task.start", {{"command", "echo twice"},
                                         {"cwd", d.home().string()},
                                         {"idempotency_key", "key-1"}});
  ASSERT_TRUE(std::holds_alternative<RpcError>(other));
  EXPECT_EQ(std::get<RpcError>(other).code, 1008);
}

}  // namespace
}  // namespace bb::test
