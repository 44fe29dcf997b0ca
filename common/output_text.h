// Task output as a reader should see it. A task's log is raw terminal bytes: colours, cursor
// movement, progress bars redrawn with '\r', stray control bytes. Sent over JSON as they are,
// they read badly and grow several times over in escaping. The cleaner turns them into what a
// terminal would have shown, in one pass, as valid UTF-8 with no control byte but '\n' and '\t'.
//
// Clean mode, unit by unit:
// - Escape sequences are dropped. ESC then bytes 20..2F then one byte 30..7E (two-byte escapes
//   and charset selections such as ESC ( B, ESC 7, ESC =, ESC c); CSI (ESC [ then bytes
//   20..3F then a final byte 40..7E); the strings OSC (ESC ]), DCS (ESC P), SOS (ESC X), PM
//   (ESC ^) and APC (ESC _), which end at BEL or ST (ESC \ or U+009C). The C1 forms encoded as
//   UTF-8 work the same (U+009B CSI, U+009D OSC, U+0090 DCS, U+0098 SOS, U+009E PM, U+009F APC);
//   every other C1 control (U+0080..U+009F) is dropped like its two-byte escape. A byte that
//   cannot continue a sequence (a control byte inside a CSI, ESC inside a string not followed
//   by '\') ends it: what came before is dropped and that byte is read afresh, so every '\n'
//   ends a sequence and a reader can always start just after one. A sequence still unfinished
//   after kMaxSequenceBytes ends there too. An ESC that starts no sequence (followed by a control
//   byte, DEL or a non-ASCII byte) shows as "^[". Cursor movement across lines is not replayed
//   (there is no screen): a display redrawn in place over several lines reads as each state.
// - '\r' (and CSI G to the first column, which spinners use instead) goes back to the start of
//   the line. What comes next decides what that means: a '\n' keeps the line ("\r\n" becomes
//   "\n"), a character overwrites it: the text of that line emitted so far by this call is
//   dropped, so a bar redrawn a thousand times reads as its last state. Escape sequences in
//   between change nothing; erasing the line (CSI K there, CSI 2K anywhere) drops its text at
//   once. Undecided at the end of the input, a '\r' is pending (see below).
// - '\b' deletes the previous character of the line (emitted by this call), if any; right after
//   a '\r' there is none.
// - '\n' and '\t' stay; every other C0 control byte and DEL shows once in caret notation
//   ("^A", "^?"), two characters, so JSON never has to escape anything but quotes and '\'.
// - Invalid UTF-8 becomes U+FFFD exactly as bb::utf8::sanitize does.
// Raw mode keeps every byte as it is but for invalid UTF-8, which becomes U+FFFD.
//
// Text is measured in characters (Unicode code points of the output), and every character
// of the output is traced back to the input bytes that produced it, so a reader that pages
// through a log by byte offset never skips or repeats a byte.
//
// Calls are independent: what a call drops for '\r', '\b' or an erased line is only what that
// same call emitted. So cleaning a log in consecutive pieces (each starting where the previous
// one's `consumed` ended) concatenates to cleaning it whole, except where an overwrite, a '\b'
// or an erase reaches back across the seam between two pieces.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bb::text {

enum class Mode {
  clean,  // as a terminal would show it (above)
  raw,    // bytes as they are but invalid UTF-8, which becomes U+FFFD
};

// An escape sequence or string longer than this ends where it reaches it, and a '\r' left
// undecided for this many bytes (escape sequences only) counts as the start of an overwrite.
// Hence a call on an input of at least 2 * kMaxSequenceBytes always makes progress.
inline constexpr std::size_t kMaxSequenceBytes = 4096;

struct Forward {
  std::string text;          // valid UTF-8
  std::size_t consumed = 0;  // input bytes behind `text`; the next read starts there
  std::size_t chars = 0;     // code points in `text`
  bool capped = false;       // stopped before a character that would exceed max_chars
};

// Cleans `bytes` from the start, stopping before the first character that would take the text
// beyond max_chars. Unless `final` (no byte will ever follow `bytes`), a unit still unfinished
// at the end (an escape sequence, a UTF-8 sequence, a '\r' not yet decided, with the escape
// sequences after it) is left unconsumed: the rest of it may not be written yet. With `final`
// it is dropped (a sequence), or becomes U+FFFD (UTF-8) or "^[" (a lone ESC), or leaves the
// line as it stands ('\r').
// Progress: when max_chars > 0 and `bytes` holds a complete unit (always so when `final` and
// bytes is not empty, or bytes.size() >= 2 * kMaxSequenceBytes), consumed > 0: a first
// character that alone exceeds max_chars (a caret pair when max_chars is 1) is emitted anyway.
Forward clean_forward(std::string_view bytes, std::size_t max_chars, bool final,
                      Mode mode = Mode::clean);

struct Backward {
  std::string text;          // valid UTF-8
  std::size_t skipped = 0;   // input bytes before the first one behind `text`
  std::size_t consumed = 0;  // input bytes up to the end of what is behind `text`
  std::size_t chars = 0;     // code points in `text`
  bool capped = false;       // text before `skipped` was left out for max_chars
};

// For tails: cleans all of `bytes` and keeps its last max_chars characters, starting at a line
// start if there is one among them (else at the start of a character, never inside a caret
// pair). clean_forward(bytes.substr(skipped), any cap that fits, final) gives the same text.
// `final` as for clean_forward: unless it is set, an unfinished unit at the end is left out and
// `consumed` stops before it.
// `bytes` should start at a unit boundary of the log (its start, or just after a '\n', always
// is): cleaning cannot know what a sequence begun before `bytes` meant.
Backward clean_backward(std::string_view bytes, std::size_t max_chars, bool final,
                        Mode mode = Mode::clean);

}  // namespace bb::text
