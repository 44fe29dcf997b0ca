#include "utf8.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace bb::utf8 {
namespace {

const std::string R = "\xEF\xBF\xBD";  // U+FFFD

std::string times(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(Utf8Sanitize, ValidTextIsReturnedUnchanged) {
  const std::string samples[] = {
      "",
      "plain ascii, tabs\tand\r\nnewlines",
      std::string("a\0b", 3),               // NUL is a valid character
      "\xC2\x80 \xDF\xBF",                  // U+0080, U+07FF
      "\xE0\xA0\x80 \xEF\xBF\xBF",          // U+0800, U+FFFF
      "\xED\x9F\xBF \xEE\x80\x80",          // U+D7FF, U+E000 around the surrogates
      "\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF",  // U+10000, U+10FFFF
      "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80",
  };
  for (const std::string& s : samples) {
    EXPECT_EQ(sanitize(s), s);
    EXPECT_TRUE(is_valid(s)) << s;
  }
}

TEST(Utf8Sanitize, EachLoneContinuationByteBecomesOneReplacement) {
  EXPECT_EQ(sanitize("a\x80z"), "a" + R + "z");
  EXPECT_EQ(sanitize("\x80\xBF\x9F"), times(R, 3));
  EXPECT_EQ(sanitize("\xE2\x82\xAC\xAC"), "\xE2\x82\xAC" + R);  // one too many after a character
}

TEST(Utf8Sanitize, ATruncatedSequenceMidStringBecomesOneReplacement) {
  EXPECT_EQ(sanitize("a\xE2\x82z"), "a" + R + "z");
  EXPECT_EQ(sanitize("a\xF0\x9F\x98z"), "a" + R + "z");
  EXPECT_EQ(sanitize("a\xC3z"), "a" + R + "z");
  // A new lead byte ends the truncated sequence and starts its own character.
  EXPECT_EQ(sanitize("\xE2\x82\xC3\xA9"), R + "\xC3\xA9");
}

TEST(Utf8Sanitize, AnUnfinishedSequenceAtTheEndBecomesOneReplacement) {
  EXPECT_EQ(sanitize("ok\xF0\x9F\x98"), "ok" + R);
  EXPECT_EQ(sanitize("ok\xE2"), "ok" + R);
}

TEST(Utf8Sanitize, OverlongFormsBecomeOneReplacementPerByte) {
  // No well-formed sequence starts C0 or C1, nor E0 80..9F, nor F0 80..8F: each byte is its own
  // maximal subpart.
  EXPECT_EQ(sanitize("\xC0\xAF"), times(R, 2));
  EXPECT_EQ(sanitize("\xC1\xBF"), times(R, 2));
  EXPECT_EQ(sanitize("\xE0\x80\xAF"), times(R, 3));
  EXPECT_EQ(sanitize("\xF0\x80\x80\xAF"), times(R, 4));
  EXPECT_EQ(sanitize("\xF0\x8F\xBF\xBF"), times(R, 4));
}

TEST(Utf8Sanitize, SurrogatesBecomeOneReplacementPerByte) {
  EXPECT_EQ(sanitize("\xED\xA0\x80"), times(R, 3));  // U+D800
  EXPECT_EQ(sanitize("\xED\xBF\xBF"), times(R, 3));  // U+DFFF
  EXPECT_FALSE(is_valid("\xED\xA0\x80"));
}

TEST(Utf8Sanitize, CodePointsAboveU10FFFFBecomeOneReplacementPerByte) {
  EXPECT_EQ(sanitize("\xF4\x90\x80\x80"), times(R, 4));  // U+110000
  EXPECT_EQ(sanitize("\xF5\x80\x80\x80"), times(R, 4));
  EXPECT_EQ(sanitize("\xF7\xBF\xBF\xBF"), times(R, 4));
}

TEST(Utf8Sanitize, BytesFeAndFfBecomeOneReplacementEach) {
  EXPECT_EQ(sanitize("\xFE"), R);
  EXPECT_EQ(sanitize("a\xFF\xFE"
                     "b"),
            "a" + R + R + "b");
}

TEST(Utf8Sanitize, TheUnicodeStandardsMaximalSubpartExamplesMatch) {
  // The Unicode Standard, chapter 3, tables 3-8 to 3-11.
  EXPECT_EQ(sanitize("\xC0\xAF\xE0\x80\xBF\xF0\x81\x82\x41"), times(R, 8) + "A");
  EXPECT_EQ(sanitize("\xED\xA0\x80\xED\xBF\xBF\xED\xAF\x41"), times(R, 8) + "A");
  EXPECT_EQ(sanitize("\xF4\x91\x92\x93\xFF\x41\x80\xBF\x42"),
            times(R, 5) + "A" + times(R, 2) + "B");
  EXPECT_EQ(sanitize("\xE1\x80\xE2\xF0\x91\x92\xF1\xBF\x41"), times(R, 4) + "A");
}

// An independent reference, by code point value: a sequence is valid if it encodes a scalar
// value in its shortest form; a maximal subpart is the longest prefix that some valid sequence
// still begins with.
constexpr std::uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};

int encoded_length(std::uint8_t lead) {
  return lead < 0x80   ? 1
         : lead < 0xC0 ? 0
         : lead < 0xE0 ? 2
         : lead < 0xF0 ? 3
         : lead < 0xF8 ? 4
                       : 0;
}

// Whether some valid sequence starts with `p` (REQUIRES: !p.empty()).
bool is_prefix_of_valid(const std::string& p) {
  const int len = encoded_length(static_cast<std::uint8_t>(p[0]));
  if (len == 0 || static_cast<int>(p.size()) > len) return false;
  std::uint32_t bits = len == 1 ? static_cast<std::uint8_t>(p[0])
                                : static_cast<std::uint8_t>(p[0]) & (0xFF >> (len + 1));
  for (std::size_t k = 1; k < p.size(); ++k) {
    if ((static_cast<std::uint8_t>(p[k]) & 0xC0) != 0x80) return false;
    bits = bits << 6 | (static_cast<std::uint8_t>(p[k]) & 0x3F);
  }
  const int missing = 6 * (len - static_cast<int>(p.size()));
  const std::uint32_t lo = std::max(bits << missing, kMinForLength[len]);
  const std::uint32_t hi = std::min(((bits + 1) << missing) - 1, std::uint32_t{0x10FFFF});
  if (lo > hi) return false;
  return lo < 0xD800 || hi > 0xDFFF;  // not all of them surrogates
}

std::optional<std::size_t> reference_valid_length(const std::string& s, std::size_t i) {
  const int len = encoded_length(static_cast<std::uint8_t>(s[i]));
  if (len == 0 || i + len > s.size()) return std::nullopt;
  if (!is_prefix_of_valid(s.substr(i, len))) return std::nullopt;
  return len;
}

std::string reference_sanitize(const std::string& s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (auto l = reference_valid_length(s, i)) {
      out += s.substr(i, *l);
      i += *l;
      continue;
    }
    std::size_t k = 1;
    while (i + k < s.size() && k < 4 && is_prefix_of_valid(s.substr(i, k + 1))) ++k;
    out += R;
    i += k;
  }
  return out;
}

TEST(Utf8Sanitize, AgreesWithACodePointReferenceOnRandomBytes) {
  std::mt19937 rng(20261124);  // fixed seed: deterministic
  // Bytes drawn mostly from the interesting ranges so that near-valid sequences are common.
  const std::uint8_t pool[] = {'a',  '\n', 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
                               0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF};
  for (int round = 0; round < 300; ++round) {
    std::string s;
    const int n = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) s += static_cast<char>(pool[rng() % sizeof pool]);
    const std::string got = sanitize(s);
    EXPECT_EQ(got, reference_sanitize(s)) << ::testing::PrintToString(s);
    EXPECT_TRUE(is_valid(got));
    EXPECT_EQ(is_valid(s), got == s);
  }
}

TEST(Utf8IsValid, RejectsEachClassOfInvalidInput) {
  for (const char* s : {"\x80", "\xC3", "a\xE2\x82", "\xC0\x80", "\xE0\x9F\xBF", "\xED\xB0\x80",
                        "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "\xFE", "\xFF"})
    EXPECT_FALSE(is_valid(s)) << ::testing::PrintToString(std::string(s));
}

TEST(Utf8IncompleteTail, IsZeroAtACharacterBoundary) {
  EXPECT_EQ(incomplete_tail(""), 0u);
  EXPECT_EQ(incomplete_tail("abc"), 0u);
  EXPECT_EQ(incomplete_tail("a\xE2\x82\xAC"), 0u);
  EXPECT_EQ(incomplete_tail("\xF0\x9F\x98\x80"), 0u);
}

TEST(Utf8IncompleteTail, CountsTheBytesOfAnUnfinishedCharacter) {
  EXPECT_EQ(incomplete_tail("a\xC3"), 1u);
  EXPECT_EQ(incomplete_tail("a\xE2"), 1u);
  EXPECT_EQ(incomplete_tail("a\xE2\x82"), 2u);
  EXPECT_EQ(incomplete_tail("\xF0\x9F"), 2u);
  EXPECT_EQ(incomplete_tail("\xF0\x9F\x98"), 3u);
  EXPECT_EQ(incomplete_tail("\xF4\x8F\xBF"), 3u);
}

TEST(Utf8IncompleteTail, IsZeroWhenTheTailCanNeverBecomeValid) {
  EXPECT_EQ(incomplete_tail("\x80"), 0u);           // stray continuation byte
  EXPECT_EQ(incomplete_tail("a\x82\x82\x82"), 0u);  // strays with no lead byte
  EXPECT_EQ(incomplete_tail("\xC0"), 0u);           // overlong lead
  EXPECT_EQ(incomplete_tail("\xE0\x80"), 0u);       // overlong
  EXPECT_EQ(incomplete_tail("\xED\xA0"), 0u);       // surrogate
  EXPECT_EQ(incomplete_tail("\xF4\x90"), 0u);       // above U+10FFFF
  EXPECT_EQ(incomplete_tail("\xFF"), 0u);
  EXPECT_EQ(incomplete_tail("\xE2\x82\xAC\x80"), 0u);  // a character, then a stray
}

TEST(Utf8LeadingContinuations, WithoutContextCountsLeadingContinuationBytesUpToThree) {
  EXPECT_EQ(leading_continuations(""), 0u);
  EXPECT_EQ(leading_continuations("abc"), 0u);
  EXPECT_EQ(leading_continuations("\xAC"
                                  "abc"),
            1u);
  EXPECT_EQ(leading_continuations("\x82\xAC"), 2u);
  EXPECT_EQ(leading_continuations("\x80\x80\x80\x80"), 3u);
}

TEST(Utf8LeadingContinuations, WithContextCountsOnlyBytesFinishingTheCharacterBegunBefore) {
  EXPECT_EQ(leading_continuations("x\xE2",
                                  "\x82\xAC"
                                  "y"),
            2u);
  EXPECT_EQ(leading_continuations("\xE2\x82", "\xAC\xAC"), 1u);
  EXPECT_EQ(leading_continuations("\xF0", "\x9F\x98\x80"), 3u);
  EXPECT_EQ(leading_continuations("\xF0\x9F\x98", "\x80"), 1u);
  // A continuation byte finishing an invalid maximal subpart is skipped too.
  EXPECT_EQ(leading_continuations("\xE1",
                                  "\x80"
                                  "a"),
            1u);
}

TEST(Utf8LeadingContinuations, WithContextLeavesStrayContinuationBytes) {
  EXPECT_EQ(leading_continuations("", "\x80"), 0u);
  EXPECT_EQ(leading_continuations("a", "\x80"), 0u);
  EXPECT_EQ(leading_continuations("\xE2\x82\xAC", "\x80"), 0u);  // after a whole character
  EXPECT_EQ(leading_continuations("\xE0", "\x80"), 0u);          // E0 80 is no prefix
  EXPECT_EQ(leading_continuations("\x80\x80\x80", "\x80"), 0u);  // no lead byte in reach
  EXPECT_EQ(leading_continuations("\xE2", "abc"), 0u);
  EXPECT_EQ(leading_continuations("\xE2", ""), 0u);
}

TEST(Utf8UnitLength, IsTheLengthSanitizeConsumesAsOneUnit) {
  EXPECT_EQ(unit_length("abc"), 1u);
  EXPECT_EQ(unit_length("\xC3\xA9x"), 2u);
  EXPECT_EQ(unit_length("\xE2\x82\xAC"), 3u);
  EXPECT_EQ(unit_length("\xF0\x9F\x98\x80"), 4u);
  EXPECT_EQ(unit_length("\xE1\x80"
                        "a"),
            2u);  // maximal subpart
  EXPECT_EQ(unit_length("\xE0\x80"), 1u);
  EXPECT_EQ(unit_length("\xF0\x9F"), 2u);  // cut short by the end
}

}  // namespace
}  // namespace bb::utf8
