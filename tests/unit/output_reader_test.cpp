#include "output_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "paths.h"
#include "utf8.h"

namespace bb {
namespace {

namespace fs = std::filesystem;

const std::string R = "\xEF\xBF\xBD";  // U+FFFD
const std::string kEuro = "\xE2\x82\xAC";
const std::string kGrin = "\xF0\x9F\x98\x80";

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good());
}

// An in-memory log that records every read, to check how much a read touches.
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

OutputChunk tail(const std::string& bytes, std::uint32_t lines, std::uint64_t max_bytes = 1 << 20,
                 bool final = false) {
  MemoryLog log(bytes);
  auto r = read_tail(log, lines, max_bytes, final);
  EXPECT_TRUE(r.has_value());
  return r.has_value() ? *r : OutputChunk{};
}

OutputChunk range(const std::string& bytes, std::uint64_t offset, std::uint64_t max_bytes,
                  bool final) {
  MemoryLog log(bytes);
  auto r = read_range(log, offset, max_bytes, final);
  EXPECT_TRUE(r.has_value());
  return r.has_value() ? *r : OutputChunk{};
}

// Reads the whole log with consecutive range reads of `step` bytes; checks each chunk.
std::string read_all_in_steps(const std::string& bytes, std::uint64_t step, bool final) {
  std::string text;
  std::uint64_t offset = 0;
  for (int guard = 0; guard < 10000; ++guard) {
    const OutputChunk c = range(bytes, offset, step, final);
    EXPECT_EQ(c.offset, offset) << "a read from next_offset must not skip anything";
    EXPECT_TRUE(utf8::is_valid(c.text));
    text += c.text;
    if (!c.truncated || c.next_offset == offset) break;
    offset = c.next_offset;
  }
  return text;
}

// --- missing and empty logs ---

TEST(OutputReader, AMissingLogReadsAsEmpty) {
  test::TempDir dir;
  const fs::path missing = dir.path() / "tasks" / "t1" / "output.log";
  for (auto r : {read_tail(missing, 10, 1000), read_range(missing, 0, 1000, false),
                 read_range(missing, 5, 1000, true)}) {
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(r->text, "");
    EXPECT_EQ(r->total_bytes, 0u);
    EXPECT_EQ(r->offset, 0u);
    EXPECT_EQ(r->next_offset, 0u);
    EXPECT_FALSE(r->truncated);
  }
}

TEST(OutputReader, AnEmptyLogReadsAsEmpty) {
  test::TempDir dir;
  write_file(dir.path() / "output.log", "");
  auto t = read_tail(dir.path() / "output.log", 10, 1000);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->text, "");
  EXPECT_FALSE(t->truncated);
  auto r = read_range(dir.path() / "output.log", 0, 1000, true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->text, "");
  EXPECT_FALSE(r->truncated);
}

TEST(OutputReader, ADirectoryIsAnError) {
  test::TempDir dir;
  auto r = read_tail(dir.path(), 10, 1000);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), boost::system::errc::is_a_directory);
}

TEST(OutputReader, AReadErrorIsReturnedAsAValue) {
  FailingLog log;
  EXPECT_FALSE(read_tail(log, 10, 1000).has_value());
  EXPECT_FALSE(read_range(log, 0, 10, false).has_value());
}

// --- tails ---

TEST(OutputReaderTail, FewerLinesThanAskedReturnsTheWholeLog) {
  const OutputChunk c = tail("a\nb\n", 10);
  EXPECT_EQ(c.text, "a\nb\n");
  EXPECT_EQ(c.offset, 0u);
  EXPECT_EQ(c.next_offset, 4u);
  EXPECT_EQ(c.total_bytes, 4u);
  EXPECT_FALSE(c.truncated);
}

TEST(OutputReaderTail, ExactlyTheLinesAskedReturnsThemAllUntruncated) {
  const OutputChunk c = tail("a\nb\nc\n", 3);
  EXPECT_EQ(c.text, "a\nb\nc\n");
  EXPECT_FALSE(c.truncated);
}

TEST(OutputReaderTail, FewerLinesThanTheLogHasAreTheLastOnesAndTruncated) {
  const OutputChunk c = tail("a\nbb\nccc\n", 2);
  EXPECT_EQ(c.text, "bb\nccc\n");
  EXPECT_EQ(c.offset, 2u);
  EXPECT_TRUE(c.truncated);
}

TEST(OutputReaderTail, AFinalLineWithoutNewlineCountsAsALine) {
  EXPECT_EQ(tail("a\nb\nc", 2).text, "b\nc");
  EXPECT_EQ(tail("a\nb\nc", 1).text, "c");
  EXPECT_EQ(tail("abc", 1).text, "abc");
}

TEST(OutputReaderTail, ATrailingNewlineDoesNotStartAnEmptyLine) {
  EXPECT_EQ(tail("a\nb\n", 1).text, "b\n");
  EXPECT_EQ(tail("a\n\n", 1).text, "\n");  // the empty line before it is a line
}

TEST(OutputReaderTail, OnlyNewlinesAreEmptyLines) {
  const OutputChunk c = tail("\n\n\n", 2);
  EXPECT_EQ(c.text, "\n\n");
  EXPECT_EQ(c.offset, 1u);
  EXPECT_TRUE(c.truncated);
}

TEST(OutputReaderTail, CrlfLineEndingsAreKeptAsIs) {
  EXPECT_EQ(tail("a\r\nb\r\nc\r\n", 2).text, "b\r\nc\r\n");
  EXPECT_EQ(tail("a\rb\rc", 1).text, "a\rb\rc");  // a lone CR ends no line
}

TEST(OutputReaderTail, ZeroLinesReturnsNothing) {
  const OutputChunk c = tail("a\nb\n", 0);
  EXPECT_EQ(c.text, "");
  EXPECT_EQ(c.offset, 4u);
  EXPECT_EQ(c.next_offset, 4u);
  EXPECT_TRUE(c.truncated);
}

TEST(OutputReaderTail, LinesOverMaxBytesKeepTheirLastBytesAndAreTruncated) {
  const OutputChunk c = tail("0123456789\nabcdef\n", 2, 10);
  EXPECT_EQ(c.text, "89\nabcdef\n");
  EXPECT_EQ(c.offset, 8u);
  EXPECT_TRUE(c.truncated);
}

TEST(OutputReaderTail, AMultiByteCharacterCutByTheCapIsNotSplit) {
  // "€€€\n" is 10 bytes; the last 8 start inside the first '€', which is left out whole.
  const OutputChunk c = tail(kEuro + kEuro + kEuro + "\n", 1, 8);
  EXPECT_EQ(c.text, kEuro + kEuro + "\n");
  EXPECT_EQ(c.offset, 3u);
  EXPECT_TRUE(c.truncated);
  // Cut after the lead byte of a 4-byte character: its three continuation bytes go too.
  const OutputChunk d = tail("ab" + kGrin + "cd", 1, 5);
  EXPECT_EQ(d.text, "cd");
  EXPECT_EQ(d.offset, 6u);
}

TEST(OutputReaderTail, StrayContinuationBytesAtTheCapAreKeptAsReplacements) {
  const OutputChunk c = tail(std::string("ab\x80\x80"
                                         "cd"),
                             1, 4);
  EXPECT_EQ(c.text, R + R + "cd");
  EXPECT_EQ(c.offset, 2u);
}

TEST(OutputReaderTail, ZeroMaxBytesReturnsNothing) {
  const OutputChunk c = tail("a\nb\n", 5, 0);
  EXPECT_EQ(c.text, "");
  EXPECT_EQ(c.offset, 4u);
  EXPECT_TRUE(c.truncated);
}

TEST(OutputReaderTail, ABlockBoundaryInsideACharacterAndALineIsReadWhole) {
  // Blocks are read backwards from the end; shifting a '€' in the middle of the last line puts
  // the first block boundary before, inside and after it.
  const std::string head = "first\nsecond\n";
  const std::string before(1000, 'a');
  for (std::size_t shift = 0; shift < 6; ++shift) {
    const std::string after(kTailBlockBytes - 4 + shift, 'b');
    const std::string last = before + kEuro + after + "\n";
    const std::string log = head + last;
    EXPECT_EQ(tail(log, 1).text, last);
    EXPECT_EQ(tail(log, 2).text, "second\n" + last);
    EXPECT_EQ(tail(log, 9).text, log);
    // A cap of one block lands in the same places: it skips the rest of a cut '€'.
    std::string expected = log.substr(log.size() - kTailBlockBytes);
    while ((expected[0] & 0xC0) == 0x80) expected.erase(0, 1);
    const OutputChunk c = tail(log, 1, kTailBlockBytes);
    EXPECT_EQ(c.text, expected) << "shift " << shift;
    EXPECT_TRUE(c.truncated);
  }
}

TEST(OutputReaderTail, LinesLongerThanABlockAreReadWholeAndOnlyThemselves) {
  const std::string one(3 * kTailBlockBytes + 17, 'x');
  const std::string two(2 * kTailBlockBytes + 5, 'y');
  const std::string three(kTailBlockBytes + 1, 'z');
  MemoryLog log(std::string(10 * kTailBlockBytes, '-') + "\n" + one + "\n" + two + "\n" + three);
  auto r = read_tail(log, 2, 1 << 30);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->text, two + "\n" + three);
  EXPECT_TRUE(r->truncated);
  // Scanning reads the two lines once and the text reads them again; nothing before them but
  // the rest of one block.
  const std::uint64_t span = two.size() + 1 + three.size();
  EXPECT_LE(log.bytes_read, 2 * span + kTailBlockBytes + 3);
}

TEST(OutputReaderTail, ATailOfALargeLogReadsOnlyItsEnd) {
  std::string bytes;
  for (int i = 0; bytes.size() < 8u << 20; ++i) bytes += "line " + std::to_string(i) + "\n";
  MemoryLog log(bytes);
  auto r = read_tail(log, 10, 1 << 20);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::count(r->text.begin(), r->text.end(), '\n'), 10);
  EXPECT_TRUE(bytes.ends_with(r->text));
  EXPECT_LE(log.bytes_read, kTailBlockBytes + r->text.size() + 3);
}

TEST(OutputReaderTail, ACappedTailReadsAtMostMaxBytesPlusABlockAtATime) {
  MemoryLog log(std::string(8u << 20, 'x'));  // one enormous line
  const std::uint64_t max_bytes = 300000;
  auto r = read_tail(log, 10, max_bytes);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->text.size(), max_bytes);
  EXPECT_LE(log.largest_read, std::max<std::uint64_t>(max_bytes + 3, kTailBlockBytes));
  EXPECT_LE(log.bytes_read, 2 * (max_bytes + 3) + 3);
}

TEST(OutputReaderTail, AnUnfinishedCharacterAtTheEndWaitsUntilFinal) {
  const std::string log = "ok\nnext " + kGrin.substr(0, 3);
  const OutputChunk c = tail(log, 1);
  EXPECT_EQ(c.text, "next ");
  EXPECT_EQ(c.next_offset, 8u);  // a range read from here gets the character whole
  const OutputChunk f = tail(log, 1, 1000, true);
  EXPECT_EQ(f.text, "next " + R);
  EXPECT_EQ(f.next_offset, log.size());
  // Only that character waits: a line that ends before it still counts.
  EXPECT_EQ(tail("ok\n" + kEuro.substr(0, 2), 1).text, "ok\n");
}

TEST(OutputReaderTail, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(tail(std::string("a\xFF\nb\xC0\xAF\n"), 2).text, "a" + R + "\nb" + R + R + "\n");
}

// --- ranges ---

TEST(OutputReaderRange, ReturnsTheRequestedBytes) {
  const OutputChunk c = range("0123456789", 2, 5, false);
  EXPECT_EQ(c.text, "23456");
  EXPECT_EQ(c.offset, 2u);
  EXPECT_EQ(c.next_offset, 7u);
  EXPECT_EQ(c.total_bytes, 10u);
  EXPECT_TRUE(c.truncated);
}

TEST(OutputReaderRange, IsClippedToTheLogSize) {
  const OutputChunk c = range("0123456789", 6, 100, false);
  EXPECT_EQ(c.text, "6789");
  EXPECT_EQ(c.next_offset, 10u);
  EXPECT_FALSE(c.truncated);
  const OutputChunk huge = range("0123456789", 6, UINT64_MAX, false);
  EXPECT_EQ(huge.text, "6789");
}

TEST(OutputReaderRange, AnOffsetPastTheEndReadsAsTheEnd) {
  const OutputChunk c = range("0123456789", 50, 10, true);
  EXPECT_EQ(c.text, "");
  EXPECT_EQ(c.offset, 10u);
  EXPECT_EQ(c.next_offset, 10u);
  EXPECT_FALSE(c.truncated);
}

TEST(OutputReaderRange, AStartInsideACharacterSkipsToTheNextOne) {
  const std::string log = "a" + kEuro + "b" + kGrin + "c";
  const OutputChunk c = range(log, 2, 100, false);
  EXPECT_EQ(c.text, "b" + kGrin + "c");
  EXPECT_EQ(c.offset, 4u);
  const OutputChunk d = range(log, 6, 100, false);  // inside the 4-byte one
  EXPECT_EQ(d.text, "c");
  EXPECT_EQ(d.offset, 9u);
}

TEST(OutputReaderRange, AStartAtAStrayContinuationByteKeepsItAsAReplacement) {
  const OutputChunk c = range(std::string("a\x80\x80"
                                          "b"),
                              1, 100, false);
  EXPECT_EQ(c.text, R + R + "b");
  EXPECT_EQ(c.offset, 1u);
}

TEST(OutputReaderRange, AnEndInsideACharacterStopsBeforeIt) {
  const std::string log = "ab" + kEuro + "cd";
  const OutputChunk c = range(log, 0, 4, true);  // final does not apply: not the log's end
  EXPECT_EQ(c.text, "ab");
  EXPECT_EQ(c.next_offset, 2u);
  EXPECT_TRUE(c.truncated);
  const OutputChunk next = range(log, c.next_offset, 4, true);
  EXPECT_EQ(next.text, kEuro + "c");
}

TEST(OutputReaderRange, AnUnfinishedCharacterEndingTheLogWaitsUntilFinal) {
  const std::string log = "ab" + kGrin.substr(0, 3);
  const OutputChunk c = range(log, 0, 100, false);
  EXPECT_EQ(c.text, "ab");
  EXPECT_EQ(c.next_offset, 2u);
  EXPECT_TRUE(c.truncated);
  const OutputChunk f = range(log, 0, 100, true);
  EXPECT_EQ(f.text, "ab" + R);
  EXPECT_EQ(f.next_offset, 5u);
  EXPECT_FALSE(f.truncated);
}

TEST(OutputReaderRange, AMaxBytesSmallerThanACharacterStillMakesProgress) {
  const std::string log = kGrin + "x";
  const OutputChunk c = range(log, 0, 1, false);
  EXPECT_EQ(c.text, kGrin);
  EXPECT_EQ(c.next_offset, 4u);
  // Not yet finished at the end of the log: nothing, until final.
  EXPECT_EQ(range(kGrin.substr(0, 2), 0, 1, false).text, "");
  EXPECT_EQ(range(kGrin.substr(0, 2), 0, 1, true).text, R);
  // Invalid bytes: one maximal subpart at a time.
  EXPECT_EQ(range(std::string("\xE1\x80"
                              "a"),
                  0, 1, false)
                .text,
            R);
  EXPECT_EQ(range(std::string("\xE1\x80"
                              "a"),
                  0, 1, false)
                .next_offset,
            2u);
}

TEST(OutputReaderRange, ZeroMaxBytesReturnsNothing) {
  const OutputChunk c = range("abc", 1, 0, true);
  EXPECT_EQ(c.text, "");
  EXPECT_EQ(c.next_offset, 1u);
  EXPECT_TRUE(c.truncated);
}

TEST(OutputReaderRange, ConsecutiveReadsReassembleTheSanitizedLogExactly) {
  const std::string log =
      "plain " + kEuro + kGrin + "\n\xC3\xA9t\xC3\xA9 " +
      std::string("\x80\xBF stray \xE2\x82 cut \xF0\x9F\x98 cut\n") +
      std::string("\xC0\xAF over \xED\xA0\x80 sur \xF4\x90\x80\x80 big \xFE\xFF") + kGrin + kEuro +
      "\r\nend " + kGrin.substr(0, 2);
  const std::string whole = utf8::sanitize(log);
  const std::string without_unfinished = utf8::sanitize(log.substr(0, log.size() - 2));
  for (std::uint64_t step = 1; step <= 16; ++step) {
    EXPECT_EQ(read_all_in_steps(log, step, true), whole) << "step " << step;
    EXPECT_EQ(read_all_in_steps(log, step, false), without_unfinished) << "step " << step;
  }
}

TEST(OutputReaderRange, AReadFromAnyOffsetStartsAtTheNextUnitBoundary) {
  // Units (characters or maximal invalid subparts) decode the same from any unit boundary, so
  // the reads from the first boundary at or after any offset spell out the rest of the log.
  std::mt19937 rng(1124);  // fixed seed: deterministic
  const std::string pieces[] = {"a",        "\n",       "\r\n", kEuro,      kGrin,
                                "\xC3\xA9", "\x80",     "\xBF", "\xE2\x82", "\xF0\x9F",
                                "\xC0",     "\xED\xA0", "\xFF"};
  for (int round = 0; round < 300; ++round) {
    std::string log;
    for (int i = static_cast<int>(rng() % 20); i > 0; --i) log += pieces[rng() % std::size(pieces)];
    std::vector<std::uint64_t> boundaries{0};
    while (boundaries.back() < log.size())
      boundaries.push_back(boundaries.back() +
                           utf8::unit_length(std::string_view(log).substr(boundaries.back())));
    const auto next_boundary = [&](std::uint64_t at) {
      return *std::lower_bound(boundaries.begin(), boundaries.end(), at);
    };
    const std::uint64_t offset = rng() % (log.size() + 1);
    const std::uint64_t step = 1 + rng() % 8;
    std::string text;
    OutputChunk c = range(log, offset, step, true);
    EXPECT_EQ(c.offset, next_boundary(offset)) << ::testing::PrintToString(log) << " @" << offset;
    for (text = c.text; c.truncated;) {
      c = range(log, c.next_offset, step, true);
      text += c.text;
    }
    EXPECT_EQ(text, utf8::sanitize(log.substr(next_boundary(offset))))
        << ::testing::PrintToString(log) << " @" << offset;

    const std::uint64_t max_bytes = rng() % (log.size() + 1);
    const OutputChunk t = tail(log, 1 + rng() % 4, max_bytes, true);
    EXPECT_EQ(t.offset, next_boundary(t.offset)) << ::testing::PrintToString(log);
    EXPECT_EQ(t.text, utf8::sanitize(log.substr(t.offset))) << ::testing::PrintToString(log);
    if (t.offset > 0 && log[t.offset - 1] != '\n') {  // not a line start: cut by max_bytes
      EXPECT_EQ(t.offset, next_boundary(log.size() - max_bytes)) << ::testing::PrintToString(log);
    }
  }
}

TEST(OutputReaderRange, ReadsOnlyAroundTheRequestedBytes) {
  MemoryLog log(std::string(4u << 20, 'q'));
  auto r = read_range(log, 1u << 20, 1000, false);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->text.size(), 1000u);
  EXPECT_LE(log.bytes_read, 1000u + 6);
}

TEST(OutputReaderRange, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(range(std::string("x\xFFy\xED\xA0\x80z"), 0, 100, true).text,
            "x" + R + "y" + R + R + R + "z");
}

// --- real files ---

TEST(OutputReader, AGrowingLogIsReadUpToTheSizeTakenAtOpen) {
  test::TempDir dir;
  const fs::path p = dir.path() / "output.log";
  write_file(p, "one\ntwo\n");
  auto log = open_log(p);
  ASSERT_TRUE(log.has_value());
  {
    std::ofstream more(p, std::ios::binary | std::ios::app);
    more << "three\n";
  }
  auto t = read_tail(**log, 10, 1000);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->text, "one\ntwo\n");
  EXPECT_EQ(t->total_bytes, 8u);
  auto again = read_range(p, t->next_offset, 1000, false);  // a new read sees the new bytes
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->text, "three\n");
}

TEST(OutputReader, ReadsFromAFileOnDisk) {
  test::TempDir dir;
  const fs::path p = dir.path() / "output.log";
  write_file(p, "a\n" + kEuro + "\nc\xFF\n");
  auto t = read_tail(p, 2, 1000);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->text, kEuro + "\nc" + R + "\n");
  auto r = read_range(p, 3, 1000, true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->text, "\nc" + R + "\n");
  EXPECT_EQ(r->offset, 5u);
}

}  // namespace
}  // namespace bb
