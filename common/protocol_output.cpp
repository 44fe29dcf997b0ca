// task.output: the reading modes, grep matches.
#include <utility>

#include "protocol.h"
#include "protocol_json.h"

namespace bb::proto {

using namespace detail;

namespace {

void read_grep_line(const Obj& o, GrepLine& l) {
  l.line = o.uint("line");
  l.offset = o.uint("offset");
  l.text = o.string("text", false);
}

std::vector<GrepLine> grep_lines(const Obj& o, const char* key) {
  std::vector<GrepLine> out;
  const json* v = o.find(key);
  if (v == nullptr) return out;
  if (!v->is_array()) fail_value(o.field(key), "an array of lines", *v);
  out.resize(v->size());
  for (std::size_t i = 0; i < v->size(); ++i)
    read_grep_line(Obj::nested((*v)[i], o.field(key) + "[" + std::to_string(i) + "]"), out[i]);
  return out;
}

}  // namespace

void to_json(json& j, const GrepLine& l) {
  j = json{{"line", l.line}, {"offset", l.offset}, {"text", l.text}};
}

void to_json(json& j, const GrepMatch& m) {
  j = json{{"line", m.line.line}, {"offset", m.line.offset}, {"text", m.line.text}};
  if (!m.before.empty()) j["before"] = m.before;
  if (!m.after.empty()) j["after"] = m.after;
}

void to_json(json& j, const OutputParams& p) {
  j = json{{"task_id", p.task_id}};
  put_opt(j, "tail_lines", p.tail_lines);
  put_opt(j, "head_lines", p.head_lines);
  put_opt(j, "offset", p.offset);
  if (p.since_last_read) j["since_last_read"] = true;
  put_opt(j, "reader", p.reader);
  put_opt(j, "grep", p.grep);
  put_opt(j, "context_lines", p.context_lines);
  put_opt(j, "max_matches", p.max_matches);
  if (p.ignore_case) j["ignore_case"] = true;
  put_opt(j, "max_bytes", p.max_bytes);
  put_opt(j, "max_chars", p.max_chars);
  if (p.clean) j["clean"] = true;
  if (p.progress) j["progress"] = true;
}
void from_json(const json& j, OutputParams& p) {
  Obj o = Obj::top(j, "params");
  p.task_id = task_id_field(o, "task_id");
  p.tail_lines = opt_int_in(o, "tail_lines", 1, kMaxTailLines);
  p.head_lines = opt_int_in(o, "head_lines", 1, kMaxTailLines);
  p.offset = o.opt_uint("offset");
  p.since_last_read = false;
  if (o.find("since_last_read") != nullptr) p.since_last_read = o.boolean("since_last_read");
  p.reader = bounded_string(o, "reader", kMaxReaderBytes, true);
  p.grep = bounded_string(o, "grep", kMaxGrepPatternBytes, true);
  p.context_lines = opt_int_in(o, "context_lines", 0, kMaxGrepContext);
  p.max_matches = opt_int_in(o, "max_matches", 1, kMaxGrepMatches);
  p.ignore_case = false;
  if (o.find("ignore_case") != nullptr) p.ignore_case = o.boolean("ignore_case");
  p.max_bytes = opt_uint_in(o, "max_bytes", 1, kMaxMaxBytes);
  p.max_chars = opt_uint_in(o, "max_chars", 1, kMaxChars);
  p.clean = false;
  if (o.find("clean") != nullptr) p.clean = o.boolean("clean");
  p.progress = false;
  if (o.find("progress") != nullptr) p.progress = o.boolean("progress");
  // With grep, offset is where the search starts (to go on from an earlier grep's scanned_to).
  const int modes = (p.offset && !p.grep ? 1 : 0) + (p.tail_lines ? 1 : 0) + (p.head_lines ? 1 : 0) +
                    (p.since_last_read ? 1 : 0) + (p.grep ? 1 : 0);
  if (p.offset && p.tail_lines)
    fail("give either offset (read a byte range) or tail_lines (read the last lines), not both");
  if (modes > 1)
    fail("give one way of reading: tail_lines, head_lines, offset, since_last_read or grep");
  if (p.since_last_read && !p.reader)
    fail("since_last_read needs reader: a name for whose reads to continue from");
  if (!p.grep && (p.context_lines || p.max_matches))
    fail("context_lines and max_matches go with grep");
}

void to_json(json& j, const OutputResult& r) {
  j = json{{"task_id", r.task_id},
           {"output", r.output},
           {"offset", r.offset},
           {"next_offset", r.next_offset},
           {"output_bytes", r.output_bytes},
           {"truncated", r.truncated},
           {"status", r.status}};
  put_opt(j, "mode", r.mode);
  put_opt(j, "chars", r.chars);
  put_opt(j, "first_line", r.first_line);
  put_opt(j, "cut_bytes", r.cut_bytes);
  put_opt(j, "log_path", r.log_path);
  put_opt(j, "matches", r.matches);
  put_opt(j, "grep_complete", r.grep_complete);
  put_opt(j, "scanned_to", r.scanned_to);
  put_opt(j, "progress", r.progress);
}
void from_json(const json& j, OutputResult& r) {
  Obj o = Obj::top(j, "result", false);
  r.task_id = o.string("task_id");
  r.output = o.string("output", false);
  r.offset = o.uint("offset");
  r.next_offset = o.uint("next_offset");
  r.output_bytes = o.uint("output_bytes");
  r.truncated = o.boolean("truncated");
  r.status = status_value(o.require("status", "string"), "status");
  r.mode = o.opt_string("mode");
  r.chars = o.opt_uint("chars");
  r.first_line = o.opt_uint("first_line");
  r.cut_bytes = o.opt_uint("cut_bytes");
  r.log_path = o.opt_string("log_path");
  r.matches.reset();
  if (const json* v = o.find("matches")) {
    if (!v->is_array()) fail_value("matches", "an array of matches", *v);
    std::vector<GrepMatch> ms(v->size());
    for (std::size_t i = 0; i < v->size(); ++i) {
      Obj m = Obj::nested((*v)[i], "matches[" + std::to_string(i) + "]");
      read_grep_line(m, ms[i].line);
      ms[i].before = grep_lines(m, "before");
      ms[i].after = grep_lines(m, "after");
    }
    r.matches = std::move(ms);
  }
  r.grep_complete.reset();
  if (o.find("grep_complete") != nullptr) r.grep_complete = o.boolean("grep_complete");
  r.scanned_to = o.opt_uint("scanned_to");
  r.progress.reset();
  if (const json* v = o.find("progress")) {
    Progress pr;
    read_progress(Obj::nested(*v, "progress"), pr);
    r.progress = pr;
  }
}

}  // namespace bb::proto
