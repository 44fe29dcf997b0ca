// Unit: grep over a task log, on an in-memory log.
#include "log_grep.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "utf8.h"

namespace bb {
namespace {

using ::testing::HasSubstr;

const std::string R = "\xEF\xBF\xBD";         // U+FFFD
const std::string kEllipsis = "\xE2\x80\xA6";  // U+2026

// An in-memory log that records how it is read.
class MemoryLog final : public LogFile {
 public:
  explicit MemoryLog(std::string bytes) : bytes_(std::move(bytes)) {}
  std::uint64_t size() const override { return bytes_.size(); }
  boost::system::result<void> read_at(std::uint64_t offset, std::span<char> out) override {
    EXPECT_LE(offset + out.size(), bytes_.size()) << "read past the size";
    std::copy_n(bytes_.data() + offset, out.size(), out.data());
    bytes_read += out.size();
    largest_read = std::max(largest_read, out.size());
    return {};
  }
  std::uint64_t bytes_read = 0;
  std::size_t largest_read = 0;

 private:
  std::string bytes_;
};

class FailingLog final : public LogFile {
 public:
  std::uint64_t size() const override { return 100; }
  boost::system::result<void> read_at(std::uint64_t, std::span<char>) override {
    return boost::system::errc::make_error_code(boost::system::errc::io_error);
  }
};

GrepOptions opts(std::string pattern, int context = 0, int max_matches = 100) {
  GrepOptions o;
  o.pattern = std::move(pattern);
  o.context_lines = context;
  o.max_matches = max_matches;
  return o;
}

// Runs a whole scan in steps of `budget` bytes.
GrepResult grep(const std::string& log_bytes, const GrepOptions& o,
                std::uint64_t budget = 1 << 20, MemoryLog* log_out = nullptr) {
  MemoryLog local(log_bytes);
  MemoryLog& log = log_out ? *log_out : local;
  auto created = GrepScan::create(o, log.size());
  if (auto* e = std::get_if<std::string>(&created)) {
    ADD_FAILURE() << *e;
    return {};
  }
  GrepScan& scan = std::get<GrepScan>(created);
  for (int steps = 0;; ++steps) {
    auto r = scan.step(log, budget);
    EXPECT_TRUE(r.has_value());
    if (!r || *r) break;
    if (steps > 100'000'000) {
      ADD_FAILURE() << "the scan does not finish";
      break;
    }
  }
  return scan.take_result();
}

std::string create_error(const GrepOptions& o) {
  auto created = GrepScan::create(o, 0);
  if (auto* e = std::get_if<std::string>(&created)) return *e;
  return "(created)";
}

std::vector<std::uint64_t> numbers(const std::vector<GrepLine>& lines) {
  std::vector<std::uint64_t> out;
  for (const auto& l : lines) out.push_back(l.line_number);
  return out;
}

std::vector<std::uint64_t> match_numbers(const GrepResult& r) {
  std::vector<std::uint64_t> out;
  for (const auto& m : r.matches) out.push_back(m.line.line_number);
  return out;
}

std::string numbered_lines(int n) {
  std::string s;
  for (int i = 1; i <= n; ++i) s += "line " + std::to_string(i) + "\n";
  return s;
}

using Numbers = std::vector<std::uint64_t>;

TEST(LogGrep, MatchingLinesComeWithTheirNumbersOffsetsAndText) {
  const std::string log = "alpha\nbeta\ngamma\nbeta two\n";
  GrepResult r = grep(log, opts("beta"));
  ASSERT_EQ(r.matches.size(), 2u);
  EXPECT_EQ(r.matches[0].line.line_number, 2u);
  EXPECT_EQ(r.matches[0].line.offset, 6u);
  EXPECT_EQ(r.matches[0].line.text, "beta");
  EXPECT_EQ(r.matches[1].line.line_number, 4u);
  EXPECT_EQ(r.matches[1].line.offset, 17u);
  EXPECT_EQ(r.matches[1].line.text, "beta two");
  EXPECT_TRUE(r.complete);
  EXPECT_FALSE(r.limited);
  EXPECT_EQ(r.scanned_to, log.size());
  EXPECT_EQ(r.lines_scanned, 4u);
}

TEST(LogGrep, CaretAndDollarMatchAtEachLinesEnds) {
  const std::string log = "make all\nrun make\nmake\n";
  EXPECT_EQ(match_numbers(grep(log, opts("^make"))), (Numbers{1, 3}));
  EXPECT_EQ(match_numbers(grep(log, opts("make$"))), (Numbers{2, 3}));
  EXPECT_EQ(match_numbers(grep(log, opts("^make$"))), (Numbers{3}));
  EXPECT_EQ(match_numbers(grep(log, opts("\\Amake\\z"))), (Numbers{3}));  // per line, too
  EXPECT_EQ(match_numbers(grep(log, opts("all\\s+run"))), Numbers{});    // never across lines
}

TEST(LogGrep, CaseIsIgnoredOnlyWhenAsked) {
  GrepOptions o = opts("error");
  EXPECT_EQ(match_numbers(grep("ERROR\nerror\n", o)), (Numbers{2}));
  o.ignore_case = true;
  EXPECT_EQ(match_numbers(grep("ERROR\nerror\n", o)), (Numbers{1, 2}));
}

TEST(LogGrep, ContextIsGivenOnceAndOverlappingContextsMerge) {
  const std::string log = numbered_lines(12);
  // Matches on lines 3 and 5 with two lines of context: 4 is the after-context of 3 and is not
  // repeated as 5's before-context.
  GrepResult r = grep(log, opts("^line (3|5|11)$", 2));
  ASSERT_EQ(r.matches.size(), 3u);
  EXPECT_EQ(numbers(r.matches[0].before), (Numbers{1, 2}));
  EXPECT_EQ(numbers(r.matches[0].after), (Numbers{4}));
  EXPECT_EQ(numbers(r.matches[1].before), Numbers{});
  EXPECT_EQ(numbers(r.matches[1].after), (Numbers{6, 7}));
  EXPECT_EQ(numbers(r.matches[2].before), (Numbers{9, 10}));
  EXPECT_EQ(numbers(r.matches[2].after), (Numbers{12}));
  EXPECT_EQ(r.matches[2].before[0].text, "line 9");
  EXPECT_EQ(r.matches[2].before[0].offset, log.find("line 9"));
  // A match inside another's after-context is a match, and its own context follows.
  r = grep(log, opts("^line (3|4)$", 1));
  EXPECT_EQ(match_numbers(r), (Numbers{3, 4}));
  EXPECT_EQ(numbers(r.matches[0].after), Numbers{});
  EXPECT_EQ(numbers(r.matches[1].after), (Numbers{5}));
}

TEST(LogGrep, MaxMatchesStopsTheScanAfterTheLastOnesContext) {
  const std::string log = "x 1\nx 2\nx 3\ny\n";
  GrepResult r = grep(log, opts("^x", 1, 1));
  ASSERT_EQ(r.matches.size(), 1u);
  // As with grep -m 1 -C 1, the line after is context even though it matches.
  EXPECT_EQ(numbers(r.matches[0].after), (Numbers{2}));
  EXPECT_TRUE(r.limited);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.scanned_to, 8u);  // past line 2: a follow-up scan can start there
  EXPECT_EQ(r.lines_scanned, 2u);
  r = grep(log, opts("^x", 0, 2));
  EXPECT_EQ(match_numbers(r), (Numbers{1, 2}));
  EXPECT_EQ(r.scanned_to, 8u);
  EXPECT_TRUE(r.limited);
}

TEST(LogGrep, TheResultsTextIsBoundedWhateverMaxMatchesAllows) {
  std::string log;
  for (int i = 0; i < 20000; ++i) log += (i % 41 == 20 ? "M" : "-") + std::string(600, 'x') + "\n";
  GrepResult r = grep(log, opts("^M", kMaxGrepContext, kMaxGrepMatches));
  EXPECT_TRUE(r.limited);
  EXPECT_LT(r.matches.size(), 488u);  // every match that fits, and no more
  std::size_t text = 0;
  for (const auto& m : r.matches) {
    text += m.line.text.size();
    for (const auto& l : m.before) text += l.text.size();
    for (const auto& l : m.after) text += l.text.size();
  }
  EXPECT_GE(text, kMaxGrepTextBytes);
  EXPECT_LE(text, kMaxGrepTextBytes + 41 * (kGrepTextBytes + 3));
  EXPECT_EQ(r.matches.back().after.size(), static_cast<std::size_t>(kMaxGrepContext));
}

TEST(LogGrep, CarriageReturnsBeforeNewlinesAreNotPartOfTheLine) {
  const std::string log = "foo\r\nbar\r\n\r\nbaz";
  GrepResult r = grep(log, opts("o$"));
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].line.text, "foo");
  EXPECT_EQ(match_numbers(grep(log, opts("^$"))), (Numbers{3}));
  EXPECT_EQ(match_numbers(grep(log, opts("\\r"))), Numbers{});
  EXPECT_EQ(match_numbers(grep("a\rb\n", opts("a\\rb"))), (Numbers{1}));  // a lone \r stays
}

TEST(LogGrep, ALastLineWithoutNewlineCountsAndAnEmptyLogHasNone) {
  EXPECT_EQ(match_numbers(grep("one\ntwo", opts("two"))), (Numbers{2}));
  GrepResult empty = grep("", opts("x"));
  EXPECT_TRUE(empty.complete);
  EXPECT_EQ(empty.lines_scanned, 0u);
  EXPECT_EQ(grep("a\n", opts("x")).lines_scanned, 1u);
}

TEST(LogGrep, InvalidUtf8IsReplacedInTheTextAndMatchesNoCharacter) {
  const std::string log = "ok\xFF\xFE" "bad\nfine\n";
  GrepResult r = grep(log, opts("bad"));
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].line.text, "ok" + R + R + "bad");
  EXPECT_TRUE(utf8::is_valid(r.matches[0].line.text));
  EXPECT_EQ(match_numbers(grep(log, opts("ok..bad"))), Numbers{});
}

TEST(LogGrep, ALongLineIsMatchedOnItsFirstPartAndItsTextIsCutAroundTheMatch) {
  std::string long_line = std::string(1000, 'x') + "needle" + std::string(kGrepLineCap, 'y');
  long_line += "HAYSTACK" + std::string(100, 'z');
  const std::string log = "before\n" + long_line + "\nafter needle\n";
  GrepResult r = grep(log, opts("needle"));
  ASSERT_EQ(match_numbers(r), (Numbers{2, 3}));
  const std::string& text = r.matches[0].line.text;
  EXPECT_THAT(text, HasSubstr("needle"));
  EXPECT_EQ(text.substr(0, kEllipsis.size()), kEllipsis);
  EXPECT_EQ(text.substr(text.size() - kEllipsis.size()), kEllipsis);
  EXPECT_EQ(text.size(), kGrepTextBytes + 2 * kEllipsis.size());
  EXPECT_EQ(r.matches[0].line.offset, 7u);
  // Past the cap the line is not looked at; $ does not match at the cut.
  EXPECT_EQ(match_numbers(grep(log, opts("HAYSTACK"))), Numbers{});
  EXPECT_EQ(match_numbers(grep(log, opts("y$"))), Numbers{});
  // A long line as context shows its start.
  r = grep(log, opts("after", 1));
  ASSERT_EQ(r.matches.size(), 1u);
  ASSERT_EQ(r.matches[0].before.size(), 1u);
  EXPECT_EQ(r.matches[0].before[0].text, std::string(kGrepTextBytes, 'x') + kEllipsis);
}

TEST(LogGrep, ACutTextNeverSplitsACharacter) {
  std::string line;
  while (line.size() < 2000) line += "\xE2\x82\xAC";  // three-byte characters throughout
  const std::string log = "a" + line + "MATCH" + line + "\n";
  GrepResult r = grep(log, opts("MATCH"));
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_TRUE(utf8::is_valid(r.matches[0].line.text));
  EXPECT_EQ(r.matches[0].line.text.find(R), std::string::npos);
  EXPECT_THAT(r.matches[0].line.text, HasSubstr("MATCH"));
}

TEST(LogGrep, APatternThatWouldBacktrackFinishesOnAMebibyteLine) {
  const std::string log = std::string(1 << 20, 'a') + "b\n" + std::string(1000, 'a') + "\n";
  const auto t0 = std::chrono::steady_clock::now();
  GrepResult r = grep(log, opts("(a+)+$"), 64 * 1024);
  RecordProperty("elapsed_us", std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                                  std::chrono::steady_clock::now() - t0)
                                                  .count()));
  EXPECT_EQ(match_numbers(r), (Numbers{2}));
  EXPECT_TRUE(r.complete);
}

TEST(LogGrep, OptionsOutOfBoundsAreRefusedSayingWhy) {
  EXPECT_EQ(create_error(opts("(unclosed")), "invalid pattern \"(unclosed\": missing ): (unclosed");
  EXPECT_THAT(create_error(opts("x(?=y)")), HasSubstr("no lookaround, no backreferences"));
  EXPECT_THAT(create_error(opts("(a)\\1")), HasSubstr("no lookaround, no backreferences"));
  EXPECT_EQ(create_error(opts(std::string(kMaxGrepPatternBytes + 1, 'x'))),
            "the pattern is 1025 bytes; the limit is 1024 bytes");
  EXPECT_THAT(create_error(opts("\\pL{1000}")), HasSubstr("pattern too large"));
  EXPECT_THAT(create_error(opts("\\pL+")),
              HasSubstr("too large to search quickly: it compiles to 1198 RE2 instructions and the "
                        "limit is 512"));
  EXPECT_EQ(create_error(opts("x", kMaxGrepContext + 1)),
            "context_lines must be from 0 to 20, got 21");
  EXPECT_EQ(create_error(opts("x", 0, 0)), "max_matches must be from 1 to 1000, got 0");
  EXPECT_EQ(create_error(opts("x", kMaxGrepContext, kMaxGrepMatches)), "(created)");
}

// The worst known for RE2: a pattern at the size bound whose DFA must remember the last 480
// bytes, on random text; RE2 falls back to its NFA. Steps sized by step_bytes_within() stay
// short (the elapsed times go to the test report) and the result is right.
TEST(LogGrep, APatternCraftedToDefeatTheDfaIsScannedInShortSteps) {
  const std::string pattern = "[ab]*a[ab]{480}z";
  std::mt19937 rng(3);
  std::string log;
  for (int line = 0; line < 64; ++line) {
    for (int i = 0; i < 1000; ++i) log += (rng() & 1) ? 'a' : 'b';
    log += '\n';
  }
  log.replace(40 * 1001 + 10, 482, "a" + std::string(480, 'b') + "z");  // on line 41
  MemoryLog memory(log);
  auto created = GrepScan::create(opts(pattern), log.size());
  ASSERT_TRUE(std::holds_alternative<GrepScan>(created)) << std::get<std::string>(created);
  GrepScan& scan = std::get<GrepScan>(created);
  EXPECT_LE(scan.program_size(), kMaxGrepProgramSize);
  const std::uint64_t budget = scan.step_bytes_within(10'000'000);
  EXPECT_EQ(budget, kMinGrepStepBytes);
  std::int64_t worst_us = 0;
  const auto start = std::chrono::steady_clock::now();
  for (bool done = false; !done;) {
    const auto t0 = std::chrono::steady_clock::now();
    done = *scan.step(memory, budget);
    worst_us = std::max<std::int64_t>(
        worst_us, std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - t0)
                      .count());
  }
  RecordProperty("step_bytes", std::to_string(budget));
  RecordProperty("worst_step_us", std::to_string(worst_us));
  RecordProperty("total_us", std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::steady_clock::now() - start)
                                                .count()));
  EXPECT_EQ(match_numbers(scan.take_result()), (Numbers{41}));
}

TEST(LogGrep, StepsForASimplePatternAreLarge) {
  auto created = GrepScan::create(opts("error"), 0);
  const GrepScan& scan = std::get<GrepScan>(created);
  EXPECT_GE(scan.step_bytes_within(10'000'000), 10'000'000 / (kGrepWorstNsPerByte * 16));
  EXPECT_EQ(scan.step_bytes_within(0), kMinGrepStepBytes);
}

TEST(LogGrep, LineNumbersCountFromTheStartingOffset) {
  const std::string log = numbered_lines(10);
  GrepOptions o = opts("^line [0-9]+$");
  o.from_offset = log.find("line 8");
  GrepResult r = grep(log, o);
  EXPECT_EQ(match_numbers(r), (Numbers{1, 2, 3}));
  EXPECT_EQ(r.matches[0].line.offset, log.find("line 8"));
  EXPECT_EQ(r.matches[0].line.text, "line 8");
  o.from_offset = log.size() + 100;  // past the end: nothing to scan
  r = grep(log, o);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.lines_scanned, 0u);
  EXPECT_EQ(r.scanned_to, log.size());
}

TEST(LogGrep, OnlyTheLogAsLargeAsItWasAtCreationIsScanned) {
  MemoryLog log("old match\nnew match\n");
  auto created = GrepScan::create(opts("match"), 10);
  GrepScan& scan = std::get<GrepScan>(created);
  while (!*scan.step(log, 3)) {
  }
  EXPECT_EQ(match_numbers(scan.take_result()), (Numbers{1}));
}

TEST(LogGrep, EachStepReadsAtMostItsBudgetInBoundedBlocks) {
  const std::string bytes = numbered_lines(200000);
  MemoryLog log(bytes);
  auto created = GrepScan::create(opts("^line 199999$", 3), log.size());
  GrepScan& scan = std::get<GrepScan>(created);
  std::size_t most = 0;
  int steps = 0;
  while (true) {
    const std::uint64_t before = log.bytes_read;
    auto r = scan.step(log, 1 << 20);
    ASSERT_TRUE(r.has_value());
    EXPECT_LE(log.bytes_read - before, 1u << 20);
    most = std::max(most, scan.memory_bytes());
    ++steps;
    if (*r) break;
  }
  EXPECT_EQ(log.bytes_read, bytes.size());
  EXPECT_LE(log.largest_read, kGrepBlockBytes);
  EXPECT_LE(most, kGrepBlockBytes + kGrepLineCap + 64 * 1024);
  EXPECT_GT(steps, 1);
  GrepResult r = scan.take_result();
  EXPECT_EQ(match_numbers(r), (Numbers{199999}));
  EXPECT_EQ(numbers(r.matches[0].before), (Numbers{199996, 199997, 199998}));
  EXPECT_EQ(numbers(r.matches[0].after), (Numbers{200000}));
}

TEST(LogGrep, AReadErrorIsReturned) {
  FailingLog log;
  auto created = GrepScan::create(opts("x"), log.size());
  auto r = std::get<GrepScan>(created).step(log, 10);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), boost::system::errc::io_error);
}

// ---- the same results whatever the steps, and the same as a plain reading of the log

// grep -C N -m M restated the simple way: split the whole log, match each line alone.
GrepResult reference(const std::string& log, const GrepOptions& o) {
  RE2::Options ro;
  ro.set_case_sensitive(!o.ignore_case);
  ro.set_log_errors(false);
  const RE2 re(o.pattern, ro);
  EXPECT_TRUE(re.ok()) << o.pattern;
  struct L {
    std::uint64_t offset, end;  // end: past the '\n' (or the log's end)
    std::string content;
  };
  std::vector<L> lines;
  const std::uint64_t from = std::min<std::uint64_t>(o.from_offset, log.size());
  for (std::uint64_t s = from; s < log.size();) {
    std::uint64_t nl = log.find('\n', s);
    const std::uint64_t e = nl == std::string::npos ? log.size() : nl;
    std::string c = log.substr(s, e - s);
    if (!c.empty() && c.back() == '\r') c.pop_back();
    lines.push_back({s, std::min<std::uint64_t>(e + 1, log.size()), c});
    s = e + 1;
  }
  GrepResult r;
  r.scanned_to = log.size();
  r.complete = true;
  std::uint64_t shown = 0;  // lines 1..shown have been placed (or skipped past)
  std::uint64_t after_until = 0;
  for (std::uint64_t i = 1; i <= lines.size(); ++i) {
    const L& l = lines[i - 1];
    auto as_line = [&](std::uint64_t n) {
      return GrepLine{n, lines[n - 1].offset, utf8::sanitize(lines[n - 1].content)};
    };
    r.lines_scanned = i;
    if (!r.limited && RE2::PartialMatch(l.content, re)) {
      GrepMatch m;
      m.line = as_line(i);
      const std::uint64_t lo = i > static_cast<std::uint64_t>(o.context_lines)
                                   ? i - o.context_lines
                                   : 1;
      for (std::uint64_t b = std::max(lo, shown + 1); b < i; ++b) m.before.push_back(as_line(b));
      r.matches.push_back(m);
      shown = i;
      after_until = i + o.context_lines;
      if (r.matches.size() == static_cast<std::size_t>(o.max_matches)) r.limited = true;
    } else if (i <= after_until) {
      r.matches.back().after.push_back(as_line(i));
      shown = i;
    }
    if (r.limited && i >= after_until) {
      r.scanned_to = l.end;
      r.complete = r.scanned_to == log.size();
      break;
    }
  }
  return r;
}

void expect_same(const GrepResult& got, const GrepResult& want) {
  EXPECT_EQ(got.scanned_to, want.scanned_to);
  EXPECT_EQ(got.complete, want.complete);
  EXPECT_EQ(got.limited, want.limited);
  EXPECT_EQ(got.lines_scanned, want.lines_scanned);
  ASSERT_EQ(got.matches.size(), want.matches.size());
  auto same = [](const std::vector<GrepLine>& a, const std::vector<GrepLine>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].line_number, b[i].line_number);
      EXPECT_EQ(a[i].offset, b[i].offset);
      EXPECT_EQ(a[i].text, b[i].text);
    }
  };
  for (std::size_t i = 0; i < got.matches.size(); ++i) {
    SCOPED_TRACE("match " + std::to_string(i));
    same({got.matches[i].line}, {want.matches[i].line});
    same(got.matches[i].before, want.matches[i].before);
    same(got.matches[i].after, want.matches[i].after);
  }
}

TEST(LogGrep, ResultsDoNotDependOnTheStepBudgetAndAgreeWithAPlainReading) {
  const std::vector<std::string> patterns = {
      "a",     "ab",   "^a",       "b$",     "a.c",  "^$",    "(a|b)+c", "\xC3\xA9",
      "\\Aa",  "c\\z", "(?i)A",    "x",      "",     "\\bab", "[^a]+$",  "\\s",
      "(?-m)^b", "a\\Cb", "c$|^b", "b{2,}",
  };
  const std::string alphabet[] = {"a", "b", "c", " ", "\n", "\n", "\r", "\r\n", "\xC3\xA9",
                                  "\xFF"};
  std::mt19937 rng(20261130);
  for (int round = 0; round < 1000; ++round) {
    std::string log;
    const int pieces = static_cast<int>(rng() % 400);
    for (int i = 0; i < pieces; ++i) log += alphabet[rng() % std::size(alphabet)];
    GrepOptions o = opts(patterns[rng() % patterns.size()], static_cast<int>(rng() % 4),
                         rng() % 3 == 0 ? static_cast<int>(1 + rng() % 4) : 1000);
    o.ignore_case = rng() % 2 == 0;
    if (rng() % 4 == 0 && !log.empty()) o.from_offset = rng() % log.size();
    SCOPED_TRACE("round " + std::to_string(round) + ", pattern \"" + o.pattern + "\", context " +
                 std::to_string(o.context_lines) + ", max " + std::to_string(o.max_matches));
    const GrepResult want = reference(log, o);
    for (std::uint64_t budget : {std::uint64_t{1}, std::uint64_t{7}, std::uint64_t{4096},
                                 std::uint64_t{log.size() + 1}}) {
      SCOPED_TRACE("budget " + std::to_string(budget));
      expect_same(grep(log, o, budget), want);
    }
    if (HasFailure()) break;
  }
}

TEST(LogGrep, ResultsDoNotDependOnTheStepBudgetWithLinesLongerThanTheCapAndBlocks) {
  const std::vector<std::string> patterns = {"a", "b$", "^c", "ab+c", "z", "\\Ab", "^$"};
  std::mt19937 rng(7);
  std::uint64_t scanned = 0;
  for (int round = 0; round < 12; ++round) {
    std::string log;
    const int pieces = 20 + static_cast<int>(rng() % 40);
    for (int i = 0; i < pieces; ++i) {
      switch (rng() % 6) {
        case 0: log += std::string(kGrepLineCap - 2 + rng() % 5, "abc"[rng() % 3]); break;
        case 1: log += std::string(rng() % (3 * kGrepBlockBytes / 2), 'a'); break;
        case 2: log += "\r\n"; break;
        case 3: log += "\xE2\x82\xAC"; break;
        default: log += std::string(1 + rng() % 40, "abc\n"[rng() % 4]); break;
      }
    }
    GrepOptions o = opts(patterns[rng() % patterns.size()], static_cast<int>(rng() % 3),
                         rng() % 2 ? 1000 : 1 + static_cast<int>(rng() % 5));
    SCOPED_TRACE("round " + std::to_string(round) + ", pattern " + o.pattern);
    const GrepResult whole = grep(log, o, log.size() + 1);
    scanned += whole.scanned_to;
    for (std::uint64_t budget : {std::uint64_t{1}, std::uint64_t{7}, std::uint64_t{4096}})
      expect_same(grep(log, o, budget), whole);
    if (HasFailure()) break;
  }
  RecordProperty("bytes_scanned_per_budget", std::to_string(scanned));
}

}  // namespace
}  // namespace bb
