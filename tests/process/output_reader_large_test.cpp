// Reads of a 100 MiB log on real disk: tails and mid-file ranges return exactly the right
// bytes without reading the whole log.
#include "output_reader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "paths.h"

namespace bb {
namespace {

// Every line is 64 bytes, so line i starts at i * 64; each holds a 3- and a 4-byte character:
// "0000000042 €😀 " then filler, then '\n'.
constexpr std::uint64_t kLineBytes = 64;
constexpr std::uint64_t kEuroAt = 11;  // bytes 11..13 of a line
constexpr std::uint64_t kGrinAt = 14;  // bytes 14..17
constexpr std::uint64_t kBlockBytes = 1 << 20;
constexpr std::uint64_t kBlocks = 100;
constexpr std::uint64_t kLines = kBlocks * kBlockBytes / kLineBytes;

std::string line(std::uint64_t i) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%010llu", static_cast<unsigned long long>(i));
  std::string s = std::string(digits) + " \xE2\x82\xAC\xF0\x9F\x98\x80 ";
  s.resize(kLineBytes - 1, '.');
  return s + "\n";
}

// The log's bytes [from, to).
std::string expected(std::uint64_t from, std::uint64_t to) {
  std::string out;
  for (std::uint64_t i = from / kLineBytes; i * kLineBytes < to; ++i) out += line(i);
  const std::uint64_t skip = from % kLineBytes;
  return out.substr(skip, to - from);
}

class OutputReaderLargeLog : public ::testing::Test {
 protected:
  // One log for the whole suite: writing 100 MiB once is enough.
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    std::ofstream out(log_path(), std::ios::binary);
    std::string block;
    block.reserve(kBlockBytes);
    for (std::uint64_t b = 0; b < kBlocks; ++b) {
      block.clear();
      for (std::uint64_t i = 0; i < kBlockBytes / kLineBytes; ++i)
        block += line(b * (kBlockBytes / kLineBytes) + i);
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
    }
    ASSERT_TRUE(out.good());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::filesystem::path log_path() { return dir_->path() / "output.log"; }

  static inline test::TempDir* dir_ = nullptr;
};

TEST_F(OutputReaderLargeLog, TheLast100LinesAreReturnedExactly) {
  const std::uint64_t size = kLines * kLineBytes;
  auto r = read_tail(log_path(), 100, 1 << 20);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->total_bytes, size);
  EXPECT_EQ(r->offset, (kLines - 100) * kLineBytes);
  EXPECT_EQ(r->next_offset, size);
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(r->text, expected(size - 100 * kLineBytes, size));
}

TEST_F(OutputReaderLargeLog, ACappedTailStartsAfterTheCharacterTheCapCuts) {
  const std::uint64_t size = kLines * kLineBytes;
  const std::uint64_t cut_line = kLines - 51;
  const std::uint64_t max_bytes = size - (cut_line * kLineBytes + kEuroAt + 1);  // inside '€'
  auto r = read_tail(log_path(), 100, max_bytes);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->offset, cut_line * kLineBytes + kGrinAt);
  EXPECT_EQ(r->text, expected(r->offset, size));
}

TEST_F(OutputReaderLargeLog, ARangeInTheMiddleIsExactAndCutBetweenCharacters) {
  const std::uint64_t first_line = kLines / 2;                               // at 50 MiB
  const std::uint64_t offset = first_line * kLineBytes + kEuroAt + 1;        // inside '€'
  const std::uint64_t end = (first_line + 1000) * kLineBytes + kGrinAt + 2;  // inside '😀'
  auto r = read_range(log_path(), offset, end - offset, false);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->offset, first_line * kLineBytes + kGrinAt);
  EXPECT_EQ(r->next_offset, (first_line + 1000) * kLineBytes + kGrinAt);
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(r->text, expected(r->offset, r->next_offset));

  auto next = read_range(log_path(), r->next_offset, kLineBytes, false);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->offset, r->next_offset);
  EXPECT_EQ(next->text, expected(next->offset, next->offset + kLineBytes));
}

}  // namespace
}  // namespace bb
