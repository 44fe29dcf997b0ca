#include "task_output.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "iso_time.h"
#include "keeper_files.h"
#include "log_cut.h"
#include "log_progress.h"
#include "output_reader.h"
#include "output_text.h"

namespace bb {

namespace fs = std::filesystem;

struct OutputService::Impl {
  boost::asio::io_context& io;
  TaskManager& tasks;
  std::size_t scans = 0;

  Impl(boost::asio::io_context& i, TaskManager& t) : io(i), tasks(t) {}

  Outcome<proto::OutputResult> read_now(const proto::OutputParams& p);
};

OutputService::OutputService(boost::asio::io_context& io, TaskManager& tasks)
    : impl_(std::make_unique<Impl>(io, tasks)) {}
OutputService::~OutputService() = default;

std::size_t OutputService::scans_in_flight() const { return impl_->scans; }

namespace {

Failure not_found(const std::string& id) {
  return Failure{proto::error::kTaskNotFound,
                 "no task with id \"" + id + "\"; list tasks to see the ids that exist",
                 {{"kind", "task_not_found"}, {"task_id", id}}};
}

Failure io_failure(const std::string& id, const std::string& what) {
  return Failure{proto::error::kInternalError, "cannot read the output of task " + id + ": " + what,
                 {{"kind", "io_error"}, {"task_id", id}}};
}

}  // namespace

namespace {

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// Renders a chunk read raw into what the client asked for: cleaned (or only sanitized) and
// capped in characters, moving its offsets to the bytes actually behind the text.
void render(OutputChunk& chunk, const proto::OutputParams& p, const LogGap* gap, bool backward,
            bool final) {
  const std::string marker = chunk.marker && gap != nullptr ? gap->marker : std::string();
  const std::size_t cap = p.max_chars ? static_cast<std::size_t>(*p.max_chars) : SIZE_MAX;
  const auto mode = p.clean ? text::Mode::clean : text::Mode::raw;
  const bool at_end = final && chunk.next_offset == chunk.total_bytes;
  if (backward) {
    auto b = text::clean_backward(chunk.text, cap == SIZE_MAX ? cap : cap, at_end, mode);
    const std::uint64_t base = chunk.offset;
    chunk.offset = base + b.skipped;
    chunk.next_offset = base + b.consumed;
    chunk.truncated = chunk.offset > 0;
    chunk.text = (b.skipped == 0 ? marker : std::string()) + std::move(b.text);
    return;
  }
  if (chunk.text.empty()) {
    chunk.text = marker;
    return;
  }
  auto f = text::clean_forward(chunk.text, cap, at_end, mode);
  if (f.consumed < chunk.text.size()) {
    chunk.next_offset = chunk.offset + f.consumed;
    chunk.truncated = true;
  }
  chunk.text = marker + std::move(f.text);
}

}  // namespace

Outcome<proto::OutputResult> OutputService::Impl::read_now(const proto::OutputParams& p) {
  auto t = tasks.store().get(p.task_id);
  if (!t) return not_found(p.task_id);
  const fs::path dir = task_dir(tasks.paths(), t->id);
  const fs::path log_path = dir / keeper::kOutputFile;
  auto opened = open_log(log_path);
  if (!opened) return io_failure(t->id, opened.error().message());
  LogFile& log = **opened;
  std::optional<LogGap> gap;
  const auto cut = keeper::read_log_cut(dir);
  if (cut) gap = LogGap{cut->head_end, cut->tail_start, keeper::cut_marker(*cut)};
  const LogGap* g = gap ? &*gap : nullptr;
  const std::uint64_t max_bytes = p.max_bytes.value_or(proto::kDefaultMaxBytes);
  // A finished task's log is complete: an unfinished character at its end is garbage, not a
  // character still being written.
  const bool final = proto::is_terminal(t->status);
  // Cleaning and character caps need every byte's offset: read raw and render here.
  const bool render_here = p.clean || p.max_chars.has_value();
  const Text form = render_here ? Text::raw : Text::sanitized;

  proto::OutputResult r;
  boost::system::result<OutputChunk> chunk = OutputChunk{};
  std::optional<std::uint64_t> cursor_from;
  bool backward = false;
  if (p.offset) {
    r.mode = "range";
    chunk = read_range(log, *p.offset, max_bytes, final, g, form);
  } else if (p.head_lines) {
    r.mode = "head";
    chunk = read_head(log, static_cast<std::uint32_t>(*p.head_lines), max_bytes, final, g, form);
    r.first_line = 1;
  } else if (p.since_last_read) {
    r.mode = "since_last_read";
    cursor_from = tasks.store().read_cursor(t->id, *p.reader).value_or(0);
    chunk = read_range(log, *cursor_from, max_bytes, final, g, form);
  } else {
    r.mode = "tail";
    backward = true;
    chunk = read_tail(log,
                      static_cast<std::uint32_t>(p.tail_lines.value_or(proto::kDefaultTailLines)),
                      max_bytes, final, g, form);
  }
  if (!chunk) return io_failure(t->id, chunk.error().message());
  if (render_here) render(*chunk, p, g, backward, final);
  r.task_id = t->id;
  r.output = std::move(chunk->text);
  r.offset = chunk->offset;
  r.next_offset = chunk->next_offset;
  r.output_bytes = chunk->total_bytes;
  r.truncated = chunk->truncated;
  r.status = t->status;
  r.chars = code_points(r.output);
  r.log_path = log_path.string();
  if (cut) r.cut_bytes = cut->bytes_cut();
  if (p.progress) r.progress = progress_of(log);
  if (cursor_from && r.next_offset != *cursor_from)
    tasks.store().set_read_cursor(t->id, *p.reader, r.next_offset, now_ms());
  return r;
}

void OutputService::read(const proto::OutputParams& p, Done done) {
  try {
    done(impl_->read_now(p));
  } catch (const std::exception& e) {
    done(store_failure(e, "cannot read the output of task " + p.task_id));
  }
}

}  // namespace bb
