#include "output_text.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "paths.h"
#include "utf8.h"

namespace bb::text {
namespace {

constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();

std::string clean(std::string_view s) { return clean_forward(s, kAll, true).text; }

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// True if `s` holds no C0 control byte but '\n' and '\t', no DEL and no C1 control.
bool terminal_safe(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b < 0x20 && b != '\n' && b != '\t') || b == 0x7F) return false;
    if (b == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xA0) return false;
  }
  return true;
}

std::string read_data(const std::string& name) {
  std::ifstream in(test::source_dir() / "tests/data/output" / name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string R = "\xEF\xBF\xBD";  // U+FFFD

TEST(OutputTextClean, PlainTextPassesThroughUnchanged) {
  const std::string s = "make: building\tall\nh\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\n";
  const Forward f = clean_forward(s, kAll, true);
  EXPECT_EQ(f.text, s);
  EXPECT_EQ(f.consumed, s.size());
  EXPECT_EQ(f.chars, code_points(s));
  EXPECT_FALSE(f.capped);
}

TEST(OutputTextClean, CsiSequencesAreDropped) {
  EXPECT_EQ(clean("\x1b[31mred\x1b[0m \x1b[1;32mgreen\x1b[m"), "red green");
  EXPECT_EQ(clean("\x1b[2K\x1b[1G\x1b[10;20Hat\x1b[A\x1b[3D"), "at");  // erase, cursor moves
  EXPECT_EQ(clean("\x1b[?25lhidden\x1b[?25h"), "hidden");              // private parameters
  EXPECT_EQ(clean("\x1b[38;2;255;0;0mtrue\x1b[39m"), "true");          // 24-bit colour
  EXPECT_EQ(clean("a\x1b[2 qb"), "ab");                                // an intermediate byte
}

TEST(OutputTextClean, OscStringsEndAtBelOrStringTerminator) {
  EXPECT_EQ(clean("\x1b]0;window title\x07text"), "text");
  EXPECT_EQ(clean("\x1b]2;title\x1b\\text"), "text");
  EXPECT_EQ(clean("\x1b]8;;https://example.com/\x1b\\link\x1b]8;;\x1b\\"), "link");  // hyperlink
  EXPECT_EQ(clean("\x1b]0;t\xC3\xADtulo\x07ok"), "ok");  // UTF-8 inside the string
}

TEST(OutputTextClean, DcsSosPmAndApcStringsAreDropped) {
  EXPECT_EQ(clean("a\x1bPq#0;2;0;0;0#0~~@@\x1b\\b"), "ab");
  EXPECT_EQ(clean("a\x1bXsos\x1b\\b"), "ab");
  EXPECT_EQ(clean("a\x1b^pm\x1b\\b"), "ab");
  EXPECT_EQ(clean("a\x1b_Gf=100;AAAA\x1b\\b"), "ab");  // kitty graphics
}

TEST(OutputTextClean, TwoByteEscapesAndCharsetSelectionsAreDropped) {
  EXPECT_EQ(clean("\x1b"
                  "7saved\x1b"
                  "8"),
            "saved");
  EXPECT_EQ(clean("\x1b=keypad\x1b>"), "keypad");
  EXPECT_EQ(clean("\x1b"
                  "creset"),
            "reset");
  EXPECT_EQ(clean("\x1bMup\x1b"
                  "Ddown\x1b"
                  "Enext"),
            "updownnext");
  EXPECT_EQ(clean("\x1b(Bascii\x1b)0\x1b#8"), "ascii");
  EXPECT_EQ(clean("st\x1b\\op"), "stop");  // a stray ST
}

TEST(OutputTextClean, C1ControlsEncodedAsUtf8AreEscapesToo) {
  EXPECT_EQ(clean("\xC2\x9B"
                  "31mred\xC2\x9B"
                  "0m"),
            "red");  // U+009B CSI
  EXPECT_EQ(clean("\xC2\x9D"
                  "0;title\xC2\x9Ctext"),
            "text");  // U+009D OSC, U+009C ST
  EXPECT_EQ(clean("\xC2\x90q~~\x1b\\a\xC2\x9F"
                  "apc\x07"
                  "b"),
            "ab");  // DCS, APC
  EXPECT_EQ(clean("a\xC2\x85"
                  "b\xC2\x80"
                  "c"),
            "abc");                                          // other C1 controls
  EXPECT_EQ(clean("\xC2\xA0\xC2\xA9"), "\xC2\xA0\xC2\xA9");  // U+00A0, U+00A9 stay
}

TEST(OutputTextClean, AnEscThatStartsNoSequenceShowsAsCaret) {
  EXPECT_EQ(clean("a\x1b\nb"), "a^[\nb");
  EXPECT_EQ(clean("\x1b\x1b[31mx"), "^[x");
  EXPECT_EQ(clean("\x1b\xC3\xA9"), "^[\xC3\xA9");
  EXPECT_EQ(clean("end\x1b"), "end^[");  // a lone ESC at the very end, when final
}

TEST(OutputTextClean, AByteThatCannotContinueASequenceEndsIt) {
  EXPECT_EQ(clean("\x1b[31\nnext"), "\nnext");          // control byte inside a CSI
  EXPECT_EQ(clean("\x1b]0;title\nrest"), "\nrest");     // unterminated OSC at a newline
  EXPECT_EQ(clean("\x1b]0;title\x1b[1mbold"), "bold");  // ESC inside a string starts anew
  EXPECT_EQ(clean("\x1b[31\xC3\xA9"), "\xC3\xA9");      // non-ASCII inside a CSI
  EXPECT_EQ(clean("\x1b(\x01"), "^A");                  // ESC, intermediate, control byte
}

TEST(OutputTextClean, AnUnfinishedSequenceAtTheEndWaitsUnlessFinal) {
  for (const std::string tail :
       {"\x1b", "\x1b[", "\x1b[31;1", "\x1b]0;title", "\x1b]0;title\x1b", "\x1b(",
        "\xC2\x9B"
        "1",
        "\xC2", "\xF0\x9F\x98"}) {
    const std::string s = "ok" + tail;
    const Forward f = clean_forward(s, kAll, false);
    EXPECT_EQ(f.text, "ok") << tail;
    EXPECT_EQ(f.consumed, 2u) << tail;
    EXPECT_EQ(clean_forward(s, kAll, true).consumed, s.size()) << tail;
  }
  EXPECT_EQ(clean("ok\x1b[31;1"), "ok");         // dropped when final
  EXPECT_EQ(clean("ok\xF0\x9F\x98"), "ok" + R);  // U+FFFD when final
}

TEST(OutputTextClean, ASequenceEndsAtTheLengthBound) {
  const std::string params(kMaxSequenceBytes, '1');  // ESC [ and these: longer than the bound
  const std::string s = "\x1b[" + params + "m tail";
  const Forward f = clean_forward(s, kAll, false);
  EXPECT_EQ(f.text, "11m tail");  // the first kMaxSequenceBytes bytes went as one sequence
  EXPECT_EQ(f.consumed, s.size());
  // A long unfinished sequence is not waited for: progress on any input at least that long.
  const std::string osc = "\x1b]52;c;" + std::string(kMaxSequenceBytes, 'A');
  EXPECT_EQ(clean_forward(osc, kAll, false).consumed, osc.size());
}

TEST(OutputTextClean, AnyInputOfTwiceTheBoundMakesProgress) {
  const std::size_t n = 2 * kMaxSequenceBytes;
  std::string escapes = "\r";
  while (escapes.size() < n) escapes += "\x1b[0m";
  std::string osc = "\r\x1b]0;";
  osc.resize(n, 'x');
  std::string mixed = "\r";
  while (mixed.size() < n - 10) mixed += "\x1b[1m";
  mixed += "\x1b]0;open";
  for (const std::string& s : {escapes, osc, mixed, std::string(n, '\x1b')}) {
    EXPECT_GT(clean_forward(s, 10, false).consumed, 0u);
  }
}

TEST(OutputTextClean, CrLfBecomesLf) {
  EXPECT_EQ(clean("one\r\ntwo\r\n"), "one\ntwo\n");
  EXPECT_EQ(clean("one\r\r\ntwo"), "one\ntwo");
}

TEST(OutputTextClean, AProgressBarRedrawnWithCarriageReturnsReadsAsItsLastState) {
  std::string s = "Downloading\n";
  for (int i = 0; i <= 1000; ++i)
    s += "\r" + std::to_string(i / 10) + "% [" + std::string(i / 50, '#') + "]";
  s += "\ndone\n";
  EXPECT_EQ(clean(s), "Downloading\n100% [####################]\ndone\n");
}

TEST(OutputTextClean, ABarClearedWithEraseLineIsReplacedByWhatFollows) {
  EXPECT_EQ(clean("    Building [==>   ] 3/9\r\x1b[K   Compiling foo v1.0\n"),
            "   Compiling foo v1.0\n");
}

TEST(OutputTextClean, ACarriageReturnIsDecidedByTheNextCharacterOrNewline) {
  EXPECT_EQ(clean("kept\r\x1b[0m\nnext"), "kept\nnext");  // escapes in between change nothing
  EXPECT_EQ(clean("gone\r\x1b[2K\x1b[32mnew"), "new");
  EXPECT_EQ(clean("ab\r\bX"), "X");  // nothing to erase at column 0
}

TEST(OutputTextClean, ASpinnerRedrawnWithCursorToColumnOneReadsAsItsLastState) {
  // What npm prints on a terminal: a braille spinner, ESC [1G, ESC [0K.
  const std::string s =
      "\xE2\xA0\x99\x1b[1G\x1b[0K\xE2\xA0\xB9\x1b[1G\x1b[0K\r\nadded 4 packages in 505ms\r\n"
      "\xE2\xA0\x99\x1b[1G\x1b[0K";
  EXPECT_EQ(clean(s), "\nadded 4 packages in 505ms\n");
  EXPECT_EQ(clean("a\x1b[Gb\x1b[0Gc\x1b[5Gd"), "cd");  // only the first column is a '\r'
}

TEST(OutputTextClean, AnUndecidedCarriageReturnWaitsWithTheEscapesAfterIt) {
  const Forward f = clean_forward("12%\r\x1b[1m\x1b[32m", kAll, false);
  EXPECT_EQ(f.text, "12%");
  EXPECT_EQ(f.consumed, 3u);
  EXPECT_EQ(clean_forward("12%\r\x1b[1m\x1b[32m", kAll, true).consumed, 13u);
  // Erasing the line decides it: nothing is left to overwrite.
  const Forward e = clean_forward("12%\r\x1b[K", kAll, false);
  EXPECT_EQ(e.text, "");
  EXPECT_EQ(e.consumed, 7u);
  // ...but not for ever: after kMaxSequenceBytes of escapes it counts as an overwrite.
  std::string s = "12%\r";
  while (s.size() < 3 + kMaxSequenceBytes) s += "\x1b[0m";
  const Forward g = clean_forward(s, kAll, false);
  EXPECT_EQ(g.text, "");
  EXPECT_EQ(g.consumed, s.size());
}

TEST(OutputTextClean, ACarriageReturnAtTheEndWaitsUnlessFinal) {
  const Forward f = clean_forward("50%\r", kAll, false);
  EXPECT_EQ(f.text, "50%");
  EXPECT_EQ(f.consumed, 3u);
  const Forward g = clean_forward("50%\r", kAll, true);
  EXPECT_EQ(g.text, "50%");
  EXPECT_EQ(g.consumed, 4u);
  // The next read decides what the '\r' was.
  EXPECT_EQ(clean_forward("\r\nnext", kAll, true).text, "\nnext");
  EXPECT_EQ(clean_forward("\r60%", kAll, true).text, "60%");
}

TEST(OutputTextClean, AnOverwriteDropsOnlyTextOfTheSameCall) {
  EXPECT_EQ(clean("abc\rX"), "X");
  EXPECT_EQ(clean("keep\nabc\rX"), "keep\nX");
  EXPECT_EQ(clean_forward("\rX", kAll, true).text, "X");  // "abc" came from an earlier call
}

TEST(OutputTextClean, ControlBytesShowOnceInCaretNotation) {
  EXPECT_EQ(clean(std::string("a\0b", 3)), "a^@b");
  EXPECT_EQ(clean("\x01\x01\x07\x0b\x0c\x1f\x7f"), "^A^A^G^K^L^_^?");
  EXPECT_EQ(clean("tab\tand\nnewline"), "tab\tand\nnewline");
  // Every C0 byte but the handled ones becomes two printable characters.
  for (int b = 0; b < 0x20; ++b) {
    if (b == '\n' || b == '\t' || b == '\r' || b == '\b' || b == 0x1b) continue;
    const Forward f = clean_forward(std::string(1, static_cast<char>(b)), kAll, true);
    EXPECT_EQ(f.text, (std::string{'^', static_cast<char>(b + 0x40)}));
    EXPECT_EQ(f.chars, 2u);
  }
}

TEST(OutputTextClean, BackspaceDeletesThePreviousCharacterOfTheLine) {
  EXPECT_EQ(clean("abc\b\bX"), "aX");
  EXPECT_EQ(clean("\bX"), "X");                   // nothing to delete
  EXPECT_EQ(clean("a\nb\b\bc"), "a\nc");          // never across a line start
  EXPECT_EQ(clean("caf\xC3\xA9\b\be"), "cae");    // a whole character
  EXPECT_EQ(clean("|\b/\b-\b\\\bdone"), "done");  // a spinner
  const Forward f = clean_forward("ab\b", kAll, true);
  EXPECT_EQ(f.chars, 1u);
}

TEST(OutputTextClean, InvalidUtf8BecomesReplacementsExactlyAsSanitize) {
  std::mt19937 rng(7);
  for (int n = 0; n < 2000; ++n) {
    std::string s;
    const int len = static_cast<int>(rng() % 24);
    for (int i = 0; i < len; ++i) {
      // Printable ASCII and non-ASCII bytes, but no C1 control encoded as UTF-8 (dropped).
      unsigned b = rng() % 2 ? 0x20 + rng() % 0x5F : 0x80 + rng() % 0x80;
      if (b == 0xC2) b = 0xC3;
      s += static_cast<char>(b);
    }
    EXPECT_EQ(clean(s), utf8::sanitize(s));
  }
  EXPECT_EQ(clean("a\x80z\xE2\x82z\xFF"), "a" + R + "z" + R + "z" + R);
}

TEST(OutputTextRaw, RawModeKeepsEveryByteButInvalidUtf8) {
  std::mt19937 rng(11);
  for (int n = 0; n < 2000; ++n) {
    std::string s;
    const int len = static_cast<int>(rng() % 24);
    for (int i = 0; i < len; ++i) s += static_cast<char>(rng() % 256);
    const Forward f = clean_forward(s, kAll, true, Mode::raw);
    EXPECT_EQ(f.text, utf8::sanitize(s));
    EXPECT_EQ(f.chars, code_points(f.text));
  }
  EXPECT_EQ(clean_forward("\x1b[31mx\r\n", kAll, true, Mode::raw).text, "\x1b[31mx\r\n");
}

TEST(OutputTextCap, AFourByteCharacterAtTheCapIsNotSplit) {
  const std::string s =
      "ab\xF0\x9F\x98\x80"
      "c";
  const Forward f = clean_forward(s, 2, true);
  EXPECT_EQ(f.text, "ab");
  EXPECT_EQ(f.consumed, 2u);
  EXPECT_TRUE(f.capped);
  const Forward g = clean_forward(s, 3, true);
  EXPECT_EQ(g.text, "ab\xF0\x9F\x98\x80");
  EXPECT_EQ(g.consumed, 6u);
  EXPECT_EQ(g.chars, 3u);
  EXPECT_TRUE(g.capped);
  const Forward h = clean_forward(s, 4, true);
  EXPECT_EQ(h.consumed, s.size());
  EXPECT_FALSE(h.capped);
  // Unfinished at the end of what was read: left for the next read.
  const Forward u = clean_forward("ab\xF0\x9F\x98", 10, false);
  EXPECT_EQ(u.text, "ab");
  EXPECT_EQ(u.consumed, 2u);
  EXPECT_FALSE(u.capped);
}

TEST(OutputTextCap, TheCapCountsCharactersOfTheCleanText) {
  const Forward f = clean_forward("\x1b[31mabc\x1b[0mdef", 4, true);
  EXPECT_EQ(f.text, "abcd");
  EXPECT_EQ(f.consumed, 13u);  // up to and including the 'd'
  EXPECT_TRUE(f.capped);
  // A caret pair is two characters and is never split.
  const Forward g = clean_forward(
      "a\x01"
      "b",
      2, true);
  EXPECT_EQ(g.text, "a");
  EXPECT_EQ(g.consumed, 1u);
  // ...but a first one is emitted anyway, so a read always makes progress.
  const Forward h = clean_forward(
      "\x01"
      "b",
      1, true);
  EXPECT_EQ(h.text, "^A");
  EXPECT_EQ(h.consumed, 1u);
  EXPECT_EQ(clean_forward("abc", 0, true).consumed, 0u);
}

TEST(OutputTextCap, ALineRedrawnUnderTheCapStillReadsAsItsLastState) {
  std::string s;
  for (int i = 0; i < 100; ++i) s += "\rstep " + std::to_string(i) + "/99";
  const Forward f = clean_forward(s, 12, true);
  EXPECT_EQ(f.text, "step 99/99");
  EXPECT_FALSE(f.capped);
}

// Random logs made of the pieces real output is made of.
std::string random_log(std::mt19937& rng, std::size_t pieces, bool with_overwrites) {
  static const std::vector<std::string> common = {"word",
                                                  " ",
                                                  "make[2]: ",
                                                  "\n",
                                                  "\r\n",
                                                  "\t",
                                                  "\x1b[31m",
                                                  "\x1b[0m",
                                                  "\x1b[1;32m",
                                                  "\x1b[5G",
                                                  "\x1b]0;title\x07",
                                                  "\x1b]8;;http://x/\x1b\\",
                                                  "\x1bPdata\x1b\\",
                                                  "\x1b(B",
                                                  "\x1b"
                                                  "7",
                                                  "\xC2\x9B"
                                                  "1m",
                                                  "\xC2\x9D"
                                                  "2;t\xC2\x9C",
                                                  "\xC2\x85",
                                                  "\xC3\xA9",
                                                  "\xE2\x82\xAC",
                                                  "\xF0\x9F\x98\x80",
                                                  "\x80",
                                                  "\xE2\x82",
                                                  "\xFF",
                                                  "\x01",
                                                  "\x7f",
                                                  "\x1b\x01",
                                                  std::string(1, '\0'),
                                                  "\x1b[31",
                                                  "\x1b]0;unterminated",
                                                  "\xE2\x96\x88"};
  static const std::vector<std::string> overwrites = {"\r",   "\b",      "\r\x1b[K", "\x1b[1G",
                                                      "\r\r", "\x1b[2K", "\b\b"};
  std::string s;
  for (std::size_t i = 0; i < pieces; ++i) {
    if (with_overwrites && rng() % 6 == 0) {
      s += overwrites[rng() % overwrites.size()];
    } else {
      s += common[rng() % common.size()];
    }
  }
  return s;
}

struct Chunked {
  std::string text;
  std::size_t covered = 0;
};

// Reads `log` the way the daemon pages through it: each read starts at the previous
// offset + consumed, with a random window and cap.
Chunked read_in_chunks(const std::string& log, std::mt19937& rng, bool big_caps) {
  Chunked out;
  std::size_t offset = 0;
  while (offset < log.size()) {
    std::size_t window = 1 + rng() % 40;
    const std::size_t cap = big_caps ? kAll : 1 + rng() % 30;
    for (;;) {
      const bool final = offset + window >= log.size();
      const std::string_view bytes = std::string_view(log).substr(offset, window);
      const Forward f = clean_forward(bytes, cap, final);
      EXPECT_LE(f.consumed, bytes.size());
      EXPECT_TRUE(utf8::is_valid(f.text));
      EXPECT_TRUE(terminal_safe(f.text));
      EXPECT_EQ(f.chars, code_points(f.text));
      EXPECT_TRUE(f.chars <= cap || f.chars <= 2);
      if (f.consumed > 0) {
        out.text += f.text;
        offset += f.consumed;
        break;
      }
      // Only an unfinished unit at the end of a short window may keep a read from progressing.
      EXPECT_FALSE(final) << "no progress at " << offset;
      if (final) return out;
      window *= 2;
    }
  }
  out.covered = offset;
  return out;
}

TEST(OutputTextChunks, ReadingInChunksGivesTheSameTextAsReadingWhole) {
  std::mt19937 rng(2024);
  for (int n = 0; n < 500; ++n) {
    const std::string log = random_log(rng, 1 + rng() % 60, false);
    const std::string whole = clean(log);
    for (const bool big_caps : {false, true}) {
      const Chunked c = read_in_chunks(log, rng, big_caps);
      EXPECT_EQ(c.covered, log.size());
      ASSERT_EQ(c.text, whole) << "log " << nlohmann::json(utf8::sanitize(log)).dump();
    }
  }
}

TEST(OutputTextChunks, ReadingInChunksNeverSkipsOrRepeatsAByte) {
  std::mt19937 rng(99);
  for (int n = 0; n < 500; ++n) {
    const std::string log = random_log(rng, 1 + rng() % 60, true);
    const Chunked c = read_in_chunks(log, rng, rng() % 2 == 0);
    EXPECT_EQ(c.covered, log.size());
  }
}

TEST(OutputTextBackward, ATailStartsAtALineStartWhenOneIsAmongTheKeptCharacters) {
  const std::string log = "first line\n\x1b[32msecond\x1b[0m line\nthird\n";
  const Backward b = clean_backward(log, 16, true);
  EXPECT_EQ(b.text, "third\n");  // the last 16 characters begin inside "second line"
  EXPECT_EQ(b.skipped, log.find("third"));
  EXPECT_EQ(b.consumed, log.size());
  EXPECT_TRUE(b.capped);
  const Backward all = clean_backward(log, 100, true);
  EXPECT_EQ(all.text, "first line\nsecond line\nthird\n");
  EXPECT_EQ(all.skipped, 0u);
  EXPECT_FALSE(all.capped);
}

TEST(OutputTextBackward, ATailInsideOneLongLineStartsAtACharacter) {
  const std::string log = "x\n" + std::string(50, 'a') +
                          "\xC3\xA9"
                          "b";
  const Backward b = clean_backward(log, 3, true);
  EXPECT_EQ(b.text,
            "a\xC3\xA9"
            "b");
  EXPECT_EQ(b.skipped, log.size() - 4);
  // A caret pair is not split: fewer characters rather than half of one.
  const Backward c = clean_backward(
      "abc\x01"
      "d",
      2, true);
  EXPECT_EQ(c.text, "d");
  EXPECT_EQ(c.skipped, 4u);
  // The line that ends the text with its '\n'.
  const Backward d = clean_backward("x\nabcdef\n", 3, true);
  EXPECT_EQ(d.text, "ef\n");
  EXPECT_EQ(d.skipped, 6u);
}

TEST(OutputTextBackward, ATailOfARedrawnBarIsItsLastState) {
  std::string log = "start\n";
  for (int i = 0; i <= 100; ++i) log += "\r" + std::to_string(i) + "%";
  const Backward b = clean_backward(log, 100, false);
  EXPECT_EQ(b.text, "start\n100%");
  const Backward c = clean_backward(log + "\r", 3, false);
  EXPECT_EQ(c.text, "00%");
  EXPECT_EQ(c.consumed, log.size());  // the trailing '\r' waits for what follows
  EXPECT_EQ(clean_forward(std::string_view(log).substr(c.skipped), kAll, false).text, "00%");
}

TEST(OutputTextBackward, ReadingForwardFromSkippedGivesTheTail) {
  std::mt19937 rng(5);
  for (int n = 0; n < 1000; ++n) {
    const std::string log = random_log(rng, 1 + rng() % 60, n % 2 == 0);
    const bool final = rng() % 2 == 0;
    const std::size_t max_chars = rng() % 40;
    const Backward b = clean_backward(log, max_chars, final);
    const Forward whole = clean_forward(log, kAll, final);
    EXPECT_LE(b.chars, max_chars);
    EXPECT_EQ(b.chars, code_points(b.text));
    EXPECT_EQ(b.consumed, whole.consumed);
    EXPECT_EQ(b.capped, whole.chars > max_chars);
    ASSERT_LE(b.skipped, b.consumed);
    ASSERT_TRUE(whole.text.ends_with(b.text));
    const std::string_view rest = std::string_view(log).substr(b.skipped);
    ASSERT_EQ(clean_forward(rest, kAll, final).text, b.text)
        << "log " << nlohmann::json(utf8::sanitize(log)).dump() << " max " << max_chars;
  }
}

// What the cleaning saves in JSON: a real compiler's coloured diagnostics, 32 KiB of them.
TEST(OutputTextSize, ColouredCompilerOutputShrinksAndNeedsNoEscaping) {
  const std::string sample = read_data("gcc-diagnostics.log") + read_data("clang-diagnostics.log");
  ASSERT_FALSE(sample.empty());
  std::string log;
  while (log.size() < 32 * 1024) log += sample;
  log.resize(log.rfind('\n', 32 * 1024 - 1) + 1);  // whole lines, whole characters

  const Forward f = clean_forward(log, kAll, true);
  const std::string raw_json = nlohmann::json(log).dump();
  const std::string clean_json = nlohmann::json(f.text).dump();
  RecordProperty("raw_bytes", std::to_string(log.size()));
  RecordProperty("raw_json_chars", std::to_string(code_points(raw_json)));
  RecordProperty("clean_chars", std::to_string(f.chars));
  RecordProperty("clean_json_chars", std::to_string(code_points(clean_json)));
  EXPECT_EQ(f.consumed, log.size());
  EXPECT_EQ(f.text.find('\x1b'), std::string::npos);
  EXPECT_LT(clean_json.size(), log.size());
  EXPECT_LT(code_points(clean_json), code_points(raw_json));
}

TEST(OutputTextSize, ControlBytesCostTwoCharactersEachInsteadOfSix) {
  std::string log;
  for (std::size_t i = 0; log.size() < 32 * 1024; ++i) {
    const char b = static_cast<char>(i % 0x20);
    if (b != '\n' && b != '\t' && b != '\r' && b != '\b' && b != '\x1b') log += b;
  }
  const Forward f = clean_forward(log, kAll, true);
  const std::string raw_json = nlohmann::json(log).dump();
  const std::string clean_json = nlohmann::json(f.text).dump();
  RecordProperty("raw_bytes", std::to_string(log.size()));
  RecordProperty("raw_json_chars", std::to_string(raw_json.size()));
  RecordProperty("clean_json_chars", std::to_string(clean_json.size()));
  EXPECT_EQ(f.chars, 2 * log.size());
  // Nothing to escape but the backslash of "^\\".
  const auto backslashes = static_cast<std::size_t>(std::count(f.text.begin(), f.text.end(), '\\'));
  EXPECT_EQ(clean_json.size(), f.text.size() + 2 + backslashes);
}

TEST(OutputTextSize, ATqdmLogReadsAsItsFinalBar) {
  const std::string log = read_data("tqdm-bar.log");
  ASSERT_FALSE(log.empty());
  const Forward f = clean_forward(log, kAll, true);
  EXPECT_EQ(std::count(f.text.begin(), f.text.end(), '\n'), 1);
  EXPECT_NE(f.text.find("100%"), std::string::npos);
  EXPECT_NE(f.text.find("200/200"), std::string::npos);
  RecordProperty("raw_bytes", std::to_string(log.size()));
  RecordProperty("clean_chars", std::to_string(f.chars));
}

}  // namespace
}  // namespace bb::text
