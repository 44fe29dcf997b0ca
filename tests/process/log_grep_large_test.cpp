// Grep of a 256 MiB log on real disk, in the daemon's bounded steps: a line in the middle is
// found with its context and exact position, no read is larger than a block, and what the scan
// holds stays a few blocks whatever the log's size.
#include "log_grep.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "paths.h"

namespace bb {
namespace {

constexpr std::uint64_t kLogBytes = 256ull << 20;
constexpr std::uint64_t kStepBytes = 1 << 20;  // what one turn of the daemon's loop would scan

// A line of a busy service's log; about 80 bytes, a few of them carrying "error".
std::string line(std::uint64_t i) {
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "2026-11-30T07:%02llu:%02llu.%03lluZ worker-%llu %s request %010llu handled in "
                "%llu ms\n",
                static_cast<unsigned long long>(i / 60000 % 60),
                static_cast<unsigned long long>(i / 1000 % 60),
                static_cast<unsigned long long>(i % 1000), static_cast<unsigned long long>(i % 7),
                i % 1000 == 999 ? "error" : "info ", static_cast<unsigned long long>(i),
                static_cast<unsigned long long>(i % 97));
  return buf;
}

// Counts what the scan reads through the real file.
class CountingLog final : public LogFile {
 public:
  explicit CountingLog(std::unique_ptr<LogFile> inner) : inner_(std::move(inner)) {}
  std::uint64_t size() const override { return inner_->size(); }
  boost::system::result<void> read_at(std::uint64_t offset, std::span<char> out) override {
    largest_read = std::max(largest_read, out.size());
    bytes_read += out.size();
    return inner_->read_at(offset, out);
  }
  std::size_t largest_read = 0;
  std::uint64_t bytes_read = 0;

 private:
  std::unique_ptr<LogFile> inner_;
};

class LogGrepLargeLog : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    std::ofstream out(log_path(), std::ios::binary);
    std::string block;
    std::uint64_t written = 0;
    for (std::uint64_t i = 0; written < kLogBytes; ++i) {
      std::string l = line(i);
      if (written < kLogBytes / 2 && written + l.size() >= kLogBytes / 2) {
        needle_line_ = i + 1;
        needle_offset_ = written;
        l = "FATAL needle-4242: the one line this test looks for\n";
      }
      block += l;
      written += l.size();
      if (block.size() >= (4u << 20)) {
        out.write(block.data(), static_cast<std::streamsize>(block.size()));
        block.clear();
      }
    }
    out.write(block.data(), static_cast<std::streamsize>(block.size()));
    ASSERT_TRUE(out.good());
    size_ = written;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::filesystem::path log_path() { return dir_->path() / "output.log"; }

  // Scans the whole log in kStepBytes steps; records time, throughput and the scan's memory.
  GrepResult scan(const GrepOptions& o, const char* what) {
    auto opened = open_log(log_path());
    EXPECT_TRUE(opened.has_value());
    CountingLog log(std::move(*opened));
    auto created = GrepScan::create(o, log.size());
    EXPECT_TRUE(std::holds_alternative<GrepScan>(created));
    GrepScan& s = std::get<GrepScan>(created);
    std::size_t most = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (;;) {
      auto r = s.step(log, kStepBytes);
      EXPECT_TRUE(r.has_value());
      most = std::max(most, s.memory_bytes());
      if (!r || *r) break;
    }
    const double s_elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    RecordProperty(std::string(what) + "_ms", std::to_string(s_elapsed * 1000));
    RecordProperty(std::string(what) + "_MB_per_s",
                   std::to_string(static_cast<double>(log.bytes_read) / s_elapsed / 1e6));
    RecordProperty(std::string(what) + "_scan_memory_bytes", std::to_string(most));
    EXPECT_LE(log.largest_read, kGrepBlockBytes);
    // A block, the line in progress, the context: nothing that grows with the log.
    EXPECT_LE(most, kGrepBlockBytes + kGrepLineCap + (64u << 10));
    return s.take_result();
  }

  static inline test::TempDir* dir_ = nullptr;
  static inline std::uint64_t size_ = 0;
  static inline std::uint64_t needle_line_ = 0;
  static inline std::uint64_t needle_offset_ = 0;
};

TEST_F(LogGrepLargeLog, ALineInTheMiddleIsFoundWithItsContextInBoundedSteps) {
  GrepOptions o;
  o.pattern = "needle-\\d+";
  o.context_lines = 2;
  GrepResult r = scan(o, "needle");
  ASSERT_EQ(r.matches.size(), 1u);
  const GrepMatch& m = r.matches[0];
  EXPECT_EQ(m.line.line_number, needle_line_);
  EXPECT_EQ(m.line.offset, needle_offset_);
  EXPECT_EQ(m.line.text, "FATAL needle-4242: the one line this test looks for");
  ASSERT_EQ(m.before.size(), 2u);
  EXPECT_EQ(m.before[1].text + "\n", line(needle_line_ - 2));
  ASSERT_EQ(m.after.size(), 2u);
  EXPECT_EQ(m.after[0].text + "\n", line(needle_line_));
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.scanned_to, size_);
}

TEST_F(LogGrepLargeLog, ManyMatchesStopAtTheLimitEarlyInTheLog) {
  GrepOptions o;
  o.pattern = " error ";
  o.max_matches = 1000;
  GrepResult r = scan(o, "limited");
  EXPECT_EQ(r.matches.size(), 1000u);
  EXPECT_TRUE(r.limited);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.matches.back().line.line_number, 1000u * 1000u);
}

TEST_F(LogGrepLargeLog, APatternThatMatchesNothingIsOnePassOverTheLog) {
  GrepOptions o;
  o.pattern = "timeout after \\d+ retries";
  o.ignore_case = true;
  GrepResult r = scan(o, "nothing");
  EXPECT_TRUE(r.matches.empty());
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.scanned_to, size_);
}

}  // namespace
}  // namespace bb
