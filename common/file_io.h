// Small files written whole and read whole: the keeper's records, the daemon's pid file.
// Platform part in file_io_posix.cpp / file_io_win.cpp.
//
// A replaced file is never seen torn: the content goes to a temp file in the same directory,
// which is then renamed over the target. With Durability::sync the temp file is flushed to
// stable storage before the rename and the directory after it, so a reader after a power loss
// finds the new file whole or the old one, and a writer that returned has its file on disk.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace bb::fileio {

enum class Durability { none, sync };

// The whole file if it is at most `max_bytes` long (a longer one is cut there); nullopt if it
// is absent or cannot be read.
std::optional<std::string> read_small_file(const std::filesystem::path& file,
                                           std::size_t max_bytes);

// Replaces `file` with `content` atomically (see above). Files are created 0600.
std::error_code replace_file(const std::filesystem::path& file, std::string_view content,
                             Durability durability = Durability::none);

// Whether Durability::sync and reserved files flush at all, for the whole process (default
// true). A daemon started with BACKBURNER_DURABILITY=fast turns it off in itself and its keepers:
// records then survive a crash of the process but not a power cut.
void set_flushes(bool enabled);
bool flushes();

// Flushes a directory's entries (a rename or a new file in it) to stable storage.
std::error_code sync_directory(const std::filesystem::path& dir);

// Space set aside now for a file that must be written later even if the disk fills up
// meanwhile: the keeper reserves its outcome file before the task runs, so that a task that
// fills the disk with output still gets its exit code recorded.
class ReservedFile {
 public:
  // Creates `<file>.reserve` with `bytes` allocated. Fails when the space is not there now.
  static std::unique_ptr<ReservedFile> reserve(const std::filesystem::path& file,
                                               std::size_t bytes, std::error_code& ec);
  virtual ~ReservedFile() = default;
  // Writes `content` (at most the reserved size) into the reserved space, flushes it, and
  // renames it to the file. Only once.
  virtual std::error_code commit(std::string_view content) = 0;
};

}  // namespace bb::fileio
