#include "progress.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "output_text.h"
#include "paths.h"

namespace bb {
namespace {

std::optional<double> percent(std::string_view tail) {
  const auto p = parse_progress(tail);
  return p ? p->percent : std::nullopt;
}

TEST(ProgressMarker, ACountMarkerGivesCurrentTotalPercentAndMessage) {
  const auto p = parse_progress("noise\n::progress 40/100 building docs\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->current, 40);
  EXPECT_EQ(p->total, 100);
  EXPECT_DOUBLE_EQ(*p->percent, 40.0);
  EXPECT_EQ(p->message, "building docs");
}

TEST(ProgressMarker, APercentMarkerGivesPercentAndMessage) {
  const auto p = parse_progress("  ::progress 45.5% linking  \n");
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(*p->percent, 45.5);
  EXPECT_FALSE(p->current);
  EXPECT_EQ(p->message, "linking");
}

TEST(ProgressMarker, AMarkerWithoutMessageTakesTheLastStatusLine) {
  const auto p = parse_progress("::progress 3/7\nrunning step three\n\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->current, 3);
  EXPECT_EQ(p->message, "running step three");
  EXPECT_EQ(parse_progress("::progress 3/7")->message, "");
}

TEST(ProgressMarker, TheLatestMarkerWinsOverAnythingInferredAfterIt) {
  const auto p =
      parse_progress("::progress 1/4 a\n::progress 2/4 b\n[ 90%] Building CXX object x.o\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->current, 2);
  EXPECT_DOUBLE_EQ(*p->percent, 50.0);
  EXPECT_EQ(p->message, "b");
}

TEST(ProgressMarker, MarkerValuesAreClampedOrTheLineIsOrdinaryOutput) {
  EXPECT_DOUBLE_EQ(*percent("::progress 200% over"), 100.0);
  EXPECT_DOUBLE_EQ(*percent("::progress 9/7"), 100.0);
  EXPECT_EQ(parse_progress("::progress 9/7")->current, 9);
  EXPECT_FALSE(parse_progress("::progress 1/0 nothing"));
  EXPECT_FALSE(parse_progress("::progress soon"));
  EXPECT_FALSE(parse_progress("::progress"));
  // Not markers, so their count is inferred and the message is the whole line.
  EXPECT_EQ(parse_progress("::progressive 3/7 go")->message, "::progressive 3/7 go");
  EXPECT_EQ(parse_progress("echo ::progress 3/7 go")->message, "echo ::progress 3/7 go");
  // An ordinary line that happens to start like one is still read for inferred progress.
  EXPECT_DOUBLE_EQ(*percent("::progress soon, 30% done"), 30.0);
}

TEST(ProgressInferred, PercentagesInTheShapesToolsPrint) {
  EXPECT_DOUBLE_EQ(*percent("[ 45%] Building CXX object src/CMakeFiles/x.dir/a.cpp.o"), 45.0);
  EXPECT_DOUBLE_EQ(*percent("tests/test_x.py ....F..                                  [ 45%]"),
                   45.0);
  EXPECT_DOUBLE_EQ(*percent("######################                        45.2%"), 45.2);
  EXPECT_DOUBLE_EQ(*percent("Progress: [ 45%] [##########.............]"), 45.0);
  EXPECT_DOUBLE_EQ(*percent("Receiving objects:  45% (450/1000), 1.2 MiB | 2.3 MiB/s"), 45.0);
}

TEST(ProgressInferred, CountsInTheShapesToolsPrint) {
  const auto ninja = parse_progress("[12/50] Building CXX object src/CMakeFiles/x.dir/a.cpp.o");
  ASSERT_TRUE(ninja);
  EXPECT_EQ(ninja->current, 12);
  EXPECT_EQ(ninja->total, 50);
  EXPECT_DOUBLE_EQ(*ninja->percent, 24.0);
  const auto cargo = parse_progress("    Building [=======>    ] 120/250: serde(build)");
  ASSERT_TRUE(cargo);
  EXPECT_EQ(cargo->current, 120);
  EXPECT_DOUBLE_EQ(*cargo->percent, 48.0);
  EXPECT_EQ(parse_progress("(3/7) installing foo")->current, 3);
  EXPECT_EQ(parse_progress("step 3 of 7: compile")->total, 7);
  EXPECT_EQ(parse_progress("Downloading 3 of 7")->current, 3);
  EXPECT_EQ(parse_progress("[2/4] Fetching packages...")->total, 4);
  EXPECT_DOUBLE_EQ(*percent("[0/13] Building CXX object a.o"), 0.0);
}

TEST(ProgressInferred, ATqdmBarGivesPercentAndCount) {
  const auto p = parse_progress(
      " 45%|\xE2\x96\x88\xE2\x96\x88\xE2\x96\x88\xE2\x96\x88\xE2\x96\x8C     | 45/100 "
      "[00:01<00:01, "
      "44.2it/s]");
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(*p->percent, 45.0);
  EXPECT_EQ(p->current, 45);
  EXPECT_EQ(p->total, 100);
  // Without a total, tqdm shows a count only.
  const auto q = parse_progress("rows: 230it [00:02, 97.89it/s]");
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->percent);
  EXPECT_EQ(q->current, 230);
  EXPECT_FALSE(q->total);
}

TEST(ProgressInferred, ACountThatDisagreesWithThePercentageIsNotAttached) {
  const auto p = parse_progress("tests/test_x.py::test_ratio[1/2] PASSED   [ 45%]");
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(*p->percent, 45.0);
  EXPECT_FALSE(p->current);
}

TEST(ProgressInferred, CurlsProgressMeterRowGivesItsPercentage) {
  const std::string meter =
      "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
      "                                 Dload  Upload   Total   Spent    Left  Speed\n"
      " 39 20.0M   39 8061k    0     0  4145k      0  0:00:04  0:00:01  0:00:03 4144k";
  EXPECT_DOUBLE_EQ(*percent(meter), 39.0);
  EXPECT_FALSE(
      parse_progress(" 39 20.0M   39 8061k    0     0  4145k      0  0:00:04  0:00:01  0:00:03"));
}

TEST(ProgressInferred, TheLastMarkerOnALineCounts) {
  // A status bar redrawn in place with cursor saves reads as one line holding each state.
  EXPECT_DOUBLE_EQ(*percent("Progress: [ 20%] [###...] Progress: [ 40%] [#####..] Unpacking x"),
                   40.0);
  EXPECT_EQ(parse_progress("[1/9] a [2/9] b")->current, 2);
}

TEST(ProgressInferred, TheLatestLineWithAMarkerWinsAndTheMessageIsTheLastLine) {
  const auto p = parse_progress(
      "tests/a.py ....   [ 50%]\ntests/b.py ....   [100%]\n\n===== 8 passed in 0.12s =====\n\n");
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(*p->percent, 100.0);
  EXPECT_EQ(p->message, "===== 8 passed in 0.12s =====");
}

TEST(ProgressInferred, LookalikesAreRejected) {
  for (const char* line : {
           "released 12/03/2026 at noon",   // a date
           "released 2026/03/12",           // another date
           "on 03/12 we shipped",           // leading zero
           "aspect ratio 16/9",             // above its total
           "ratio 1/0",                     // out of zero
           "route add 10.0.0.0/8 via gw",   // an address
           "GET /index.html HTTP/1.1 200",  // a protocol version
           "see src/2024/05/notes.txt",     // a path
           "v1/2 of the api",               // glued to a letter
           "cpu 250% load",                 // above 100
           "coverage changed by +5%",       // signed
           "memory -3%",                    // signed
           "printf(\"%d%%\", n)",           // a format string
           "rate 1,5% per year",            // a decimal comma
           "12:30/45 lap",                  // a time
           "size 45%foo",                   // glued on the right
       }) {
    EXPECT_FALSE(parse_progress(line)) << line;
  }
}

TEST(ProgressInferred, CargoStatusLinesGiveAMessageWithoutNumbers) {
  const auto p = parse_progress("   Compiling serde v1.0.200\n   Compiling tokio v1.37.0\n");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->percent);
  EXPECT_FALSE(p->current);
  EXPECT_EQ(p->message, "Compiling tokio v1.37.0");
  EXPECT_FALSE(parse_progress("Compiling is fun\n"));  // not aligned as cargo aligns
}

TEST(ProgressInferred, NoMarkerGivesNothing) {
  EXPECT_FALSE(parse_progress(""));
  EXPECT_FALSE(parse_progress("\n\n"));
  EXPECT_FALSE(parse_progress("hello\nworld\n"));
  EXPECT_FALSE(parse_progress("added 4 packages in 505ms\n"));
}

TEST(ProgressMessage, TheMessageIsTrimmedAndCutAt200Characters) {
  std::string line = "[ 10%] ";
  for (int i = 0; i < 300; ++i) line += "\xC3\xA9";  // two bytes each
  const auto p = parse_progress(line + "   \n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->message.size(), 7 + 193 * 2u);
  const auto q = parse_progress("::progress 1/2 " + std::string(500, 'x'));
  EXPECT_EQ(q->message.size(), kMaxMessageChars);
}

TEST(ProgressMessage, ALineStillHoldingCarriageReturnsReadsAsItsLastRedraw) {
  const auto p = parse_progress("10% a\r20% b\r30% c\r");
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(*p->percent, 30.0);
  EXPECT_EQ(p->message, "30% c");
}

// Real output of the tools, captured on a terminal (script -qfec) where they only draw bars
// there, and to a file otherwise: tests/data/progress/<tool>-<case>.txt, each with a sidecar
// <name>.expect of key=value lines (percent, current, total, message) or the single line "none".
struct Expectation {
  bool none = false;
  std::map<std::string, std::string> values;
};

Expectation read_expectation(const std::filesystem::path& file) {
  std::ifstream in(file);
  Expectation e;
  std::string line;
  while (std::getline(in, line)) {
    if (line == "none") e.none = true;
    const std::size_t eq = line.find('=');
    if (eq != std::string::npos) e.values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return e;
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ProgressCorpus, RealToolOutputReadsAsItsExpectedProgress) {
  const auto dir = test::source_dir() / "tests/data/progress";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".txt") continue;
    SCOPED_TRACE(entry.path().filename().string());
    auto expect_file = entry.path();
    expect_file.replace_extension(".expect");
    ASSERT_TRUE(std::filesystem::exists(expect_file)) << "no " << expect_file;
    const Expectation e = read_expectation(expect_file);

    // As the daemon will: the last 64 KiB, cleaned, the task possibly still running.
    const std::string log = read_file(entry.path());
    const std::string_view tail =
        std::string_view(log).substr(log.size() - std::min<std::size_t>(log.size(), 64 * 1024));
    const auto p = parse_progress(text::clean_backward(tail, 64 * 1024, false).text);
    ++checked;
    if (e.none) {
      EXPECT_FALSE(p) << "got " << (p ? p->message : "");
      continue;
    }
    ASSERT_TRUE(p);
    const auto want = [&](const char* key) -> std::optional<std::string> {
      const auto it = e.values.find(key);
      return it == e.values.end() ? std::nullopt : std::optional(it->second);
    };
    if (const auto v = want("percent")) {
      ASSERT_TRUE(p->percent);
      EXPECT_NEAR(*p->percent, std::stod(*v), 0.05);
    } else {
      EXPECT_FALSE(p->percent) << *p->percent;
    }
    if (const auto v = want("current")) {
      EXPECT_EQ(p->current, std::stoll(*v));
    } else {
      EXPECT_FALSE(p->current);
    }
    if (const auto v = want("total")) {
      EXPECT_EQ(p->total, std::stoll(*v));
    } else {
      EXPECT_FALSE(p->total);
    }
    EXPECT_EQ(p->message, want("message").value_or(""));
  }
  EXPECT_GE(checked, 20);
  RecordProperty("corpus_files", std::to_string(checked));
}

}  // namespace
}  // namespace bb
