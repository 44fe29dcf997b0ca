#include "task_output.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "iso_time.h"
#include "keeper_files.h"
#include "log_cut.h"
#include "log_grep.h"
#include "log_progress.h"
#include "output_reader.h"
#include "output_text.h"
#include "worker_pool.h"

namespace bb {

namespace fs = std::filesystem;

struct OutputService::Impl {
  boost::asio::io_context& io;
  TaskManager& tasks;
  WorkerPool& workers;

  Impl(boost::asio::io_context& i, TaskManager& t, WorkerPool& w) : io(i), tasks(t), workers(w) {}

  Outcome<proto::OutputResult> read_now(const proto::OutputParams& p);
  void grep(const proto::OutputParams& p, const void* owner, Done done);
};

OutputService::OutputService(boost::asio::io_context& io, TaskManager& tasks, WorkerPool& workers)
    : impl_(std::make_unique<Impl>(io, tasks, workers)) {}
OutputService::~OutputService() = default;

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

namespace {

// A log seen only up to `size`: the part before a cut, for a grep that must not scan the cut.
class Prefix final : public LogFile {
 public:
  Prefix(LogFile& log, std::uint64_t size) : log_(log), size_(std::min(size, log.size())) {}
  std::uint64_t size() const override { return size_; }
  boost::system::result<void> read_at(std::uint64_t offset, std::span<char> out) override {
    return log_.read_at(offset, out);
  }

 private:
  LogFile& log_;
  std::uint64_t size_;
};

proto::GrepLine to_proto(const GrepLine& l, bool numbered) {
  return proto::GrepLine{numbered ? l.line_number : 0, l.offset, l.text};
}

// What a grep found, for the Asio thread to answer with.
struct GrepOutcome {
  std::optional<Failure> failure;
  std::vector<proto::GrepMatch> matches;
  std::uint64_t scanned_to = 0;
  bool complete = false;
};

// Runs on a worker: touches only its own copies and the log it opens.
GrepOutcome run_grep(const std::filesystem::path& log_path, std::optional<keeper::LogCut> cut,
                     proto::OutputParams p, const std::string& task_id) {
  GrepOutcome out;
  auto opened = open_log(log_path);
  if (!opened) {
    out.failure = io_failure(task_id, opened.error().message());
    return out;
  }
  LogFile& log = **opened;
  const auto deadline = std::chrono::steady_clock::now() + OutputService::kGrepTimeBudget;
  const std::uint64_t from = p.offset.value_or(0);
  int wanted = p.max_matches.value_or(proto::kDefaultGrepMatches);
  // A cut log is searched in its two parts: before the cut, then after it (whose line numbers
  // are unknown: the cut took lines away).
  struct Part {
    std::uint64_t from, to;
    bool numbered;
  };
  std::vector<Part> parts;
  if (cut && !cut->empty()) {
    if (from < cut->head_end) parts.push_back({from, cut->head_end, true});
    parts.push_back({std::max(from, cut->tail_start), log.size(), false});
  } else {
    parts.push_back({from, log.size(), true});
  }
  out.complete = true;
  out.scanned_to = from;
  for (const Part& part : parts) {
    if (part.from >= part.to || wanted <= 0) continue;
    GrepOptions o;
    o.pattern = *p.grep;
    o.ignore_case = p.ignore_case;
    o.context_lines = p.context_lines.value_or(0);
    o.max_matches = wanted;
    o.from_offset = part.from;
    Prefix view(log, part.to);
    auto created = GrepScan::create(o, view.size());
    if (auto* err = std::get_if<std::string>(&created)) {
      out.failure = Failure{proto::error::kInvalidParams, "grep: " + *err,
                            {{"kind", "invalid_params"}, {"field", "grep"}}};
      return out;
    }
    GrepScan& scan = std::get<GrepScan>(created);
    // Steps of about 50 ms: the deadline is looked at between them.
    const std::uint64_t budget = scan.step_bytes_within(50'000'000);
    bool finished = false;
    while (!finished && std::chrono::steady_clock::now() < deadline) {
      auto stepped = scan.step(view, budget);
      if (!stepped) {
        out.failure = io_failure(task_id, stepped.error().message());
        return out;
      }
      finished = *stepped;
    }
    GrepResult r = scan.take_result();
    for (auto& m : r.matches) {
      proto::GrepMatch pm;
      pm.line = to_proto(m.line, part.numbered && from == 0);
      for (auto& b : m.before) pm.before.push_back(to_proto(b, part.numbered && from == 0));
      for (auto& a : m.after) pm.after.push_back(to_proto(a, part.numbered && from == 0));
      out.matches.push_back(std::move(pm));
    }
    wanted -= static_cast<int>(r.matches.size());
    out.scanned_to = r.scanned_to;
    if (!r.complete) {
      // The time ran out, or max_matches was reached: scanned_to says where to go on.
      out.complete = false;
      return out;
    }
  }
  return out;
}

}  // namespace

void OutputService::Impl::grep(const proto::OutputParams& p, const void* owner, Done done) {
  auto t = tasks.store().get(p.task_id);
  if (!t) return done(not_found(p.task_id));
  const fs::path dir = task_dir(tasks.paths(), t->id);
  const fs::path log_path = dir / keeper::kOutputFile;
  auto cut = keeper::read_log_cut(dir);
  const proto::Status status = t->status;
  const std::string id = t->id;
  workers.submit<GrepOutcome>(
      owner, [log_path, cut, p, id] { return run_grep(log_path, cut, p, id); },
      [done = std::move(done), log_path, cut, status, id](GrepOutcome g) {
        if (g.failure) return done(*g.failure);
        proto::OutputResult r;
        r.task_id = id;
        r.mode = "grep";
        r.status = status;
        std::error_code ec;
        const auto size = std::filesystem::file_size(log_path, ec);
        r.output_bytes = ec ? 0 : static_cast<std::uint64_t>(size);
        r.offset = 0;
        r.next_offset = g.scanned_to;
        r.scanned_to = g.scanned_to;
        r.grep_complete = g.complete;
        r.truncated = !g.complete;
        r.matches = std::move(g.matches);
        r.chars = 0;
        r.log_path = log_path.string();
        if (cut) r.cut_bytes = cut->bytes_cut();
        done(std::move(r));
      });
}

void OutputService::read(const proto::OutputParams& p, const void* owner, Done done) {
  try {
    if (p.grep) return impl_->grep(p, owner, std::move(done));
    done(impl_->read_now(p));
  } catch (const std::exception& e) {
    done(store_failure(e, "cannot read the output of task " + p.task_id));
  }
}

}  // namespace bb
