// task_result: one read of a task's log in the way the call asks (tail, head, a byte range,
// since the reader's last read, grep), rendered for a model: a status line, where the text sits
// in the log, the text itself, and when something was left out the exact call that shows it.
#include <algorithm>

#include "protocol.h"
#include "task_json.h"
#include "tools.h"

namespace bb::shim {

using nlohmann::json;

namespace {

std::string json_quoted(const std::string& s) { return json(s).dump(); }

std::size_t count_newlines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

// grep -n's form: "12:matching line", "11-context", "--" between groups that do not touch.
std::string render_matches(const std::vector<proto::GrepMatch>& matches, std::uint64_t max_chars,
                           std::size_t& shown) {
  std::string out;
  std::uint64_t last_line = 0;
  shown = 0;
  for (const auto& m : matches) {
    std::string group;
    auto add = [&](const proto::GrepLine& l, char sep) {
      if (l.line != 0 && l.line <= last_line) return;  // already shown as context
      // A line past a cut, or in a search continued from an offset, has no number: its offset.
      const std::string where =
          l.line != 0 ? std::to_string(l.line) : "@" + std::to_string(l.offset);
      group += where + sep + l.text + "\n";
      last_line = std::max(last_line, l.line);
    };
    const std::uint64_t first = m.before.empty() ? m.line.line : m.before.front().line;
    const bool gap = !out.empty() && first > last_line + 1;
    for (const auto& b : m.before) add(b, '-');
    add(m.line, ':');
    for (const auto& a : m.after) add(a, '-');
    if (gap) group = "--\n" + group;
    if (out.size() + group.size() > max_chars && shown > 0) break;
    out += group;
    ++shown;
  }
  return out;
}

json grep_line(const proto::GrepLine& l) {
  return {{"line", l.line}, {"offset", l.offset}, {"text", l.text}};
}

}  // namespace

ToolResult Tools::task_result(const json& args, ToolContext& ctx) {
  const auto id = args["task_id"].get<std::string>();
  const bool grep = args.contains("grep");
  const int modes = (args.contains("tail_lines") ? 1 : 0) + (args.contains("head_lines") ? 1 : 0) +
                    (args.contains("offset") && !grep ? 1 : 0) +
                    (args.value("since_last_read", false) ? 1 : 0) + (grep ? 1 : 0);
  if (modes > 1) {
    return ToolResult::error(
        "Invalid arguments for task_result: give one way of reading: tail_lines, head_lines, "
        "offset, since_last_read or grep (offset may go with grep: where the search starts).");
  }
  for (const char* g : {"context_lines", "max_matches", "ignore_case"}) {
    if (args.contains(g) && !grep)
      return ToolResult::error(std::string("Invalid arguments for task_result: ") + g +
                               " goes with grep.");
  }
  if (args.contains("reader") && !args.value("since_last_read", false))
    return ToolResult::error(
        "Invalid arguments for task_result: reader goes with since_last_read.");

  proto::OutputParams op;
  op.task_id = id;
  op.clean = !args.value("raw", false);
  const std::uint64_t max_chars = args.value("max_chars", kToolDefaultMaxChars);
  op.max_chars = max_chars;
  op.max_bytes = args.value("max_bytes", kToolDefaultReadBytes);
  std::string reader;
  if (grep) {
    op.grep = args["grep"].get<std::string>();
    if (auto c = args.find("context_lines"); c != args.end()) op.context_lines = c->get<int>();
    if (auto m = args.find("max_matches"); m != args.end()) op.max_matches = m->get<int>();
    op.ignore_case = args.value("ignore_case", false);
    if (auto o = args.find("offset"); o != args.end()) op.offset = o->get<std::uint64_t>();
    op.max_bytes.reset();
    op.max_chars.reset();  // the shim caps the rendered matches
  } else if (args.value("since_last_read", false)) {
    op.since_last_read = true;
    reader =
        args.contains("reader") ? args["reader"].get<std::string>() : default_reader(ctx.client);
    op.reader = reader;
  } else if (auto h = args.find("head_lines"); h != args.end()) {
    op.head_lines = h->get<int>();
  } else if (auto o = args.find("offset"); o != args.end()) {
    op.offset = o->get<std::uint64_t>();
  } else {
    op.tail_lines = args.value("tail_lines", proto::kDefaultTailLines);
  }

  // The state first, then the output: a task seen finished has all its output on disk already.
  auto got = daemon_call(proto::method::kTaskGet, json(proto::TaskIdParams{id}), ctx);
  if (auto* msg = std::get_if<std::string>(&got)) return ToolResult::error(*msg);
  const auto task = std::get<json>(got).get<proto::TaskView>();
  auto read = daemon_call(proto::method::kTaskOutput, json(op), ctx);
  if (auto* msg = std::get_if<std::string>(&read)) return ToolResult::error(*msg);
  const auto out = std::get<json>(read).get<proto::OutputResult>();

  if (grep && out.mode && *out.mode != "grep") {
    return ToolResult::error(
        "The running backburnerd cannot search output yet (it answered a grep with a " + *out.mode +
        " read). Ask the user to update and restart backburnerd; meanwhile page through the log "
        "with offset, or grep the file at log_path yourself.");
  }
  const std::string mode = out.mode.value_or(grep                 ? "grep"
                                             : op.since_last_read ? "since_last_read"
                                             : op.head_lines      ? "head"
                                             : op.offset          ? "range"
                                                                  : "tail");
  const std::string call_id = "task_result(task_id=" + json_quoted(id);
  json j = task_to_mcp(task);
  j["output_bytes"] = std::max(task.output_bytes, out.output_bytes);
  j["mode"] = mode;
  j["total_bytes"] = out.output_bytes;
  j["offset"] = out.offset;
  j["next_offset"] = out.next_offset;
  if (out.log_path) j["log_path"] = *out.log_path;
  if (out.cut_bytes) j["cut_bytes"] = *out.cut_bytes;

  std::string output;
  std::string where;    // the text's place in the log, for the model
  std::string missing;  // what was left out and how to get it
  bool truncated = out.truncated;
  if (grep) {
    const auto& matches = out.matches ? *out.matches : std::vector<proto::GrepMatch>{};
    std::size_t shown = 0;
    output = render_matches(matches, max_chars, shown);
    json list = json::array();
    for (std::size_t i = 0; i < shown; ++i) {
      json m = grep_line(matches[i].line);
      json before = json::array();
      json after = json::array();
      for (const auto& b : matches[i].before) before.push_back(grep_line(b));
      for (const auto& a : matches[i].after) after.push_back(grep_line(a));
      m["before"] = std::move(before);
      m["after"] = std::move(after);
      list.push_back(std::move(m));
    }
    j["matches"] = std::move(list);
    const bool complete = out.grep_complete.value_or(true);
    j["grep_complete"] = complete;
    if (out.scanned_to) j["scanned_to"] = *out.scanned_to;
    where = std::to_string(matches.size()) + " matching line(s) of " + json_quoted(*op.grep);
    where += complete ? " in the whole log" : "";
    where += " (" + std::to_string(out.output_bytes) + " bytes)";
    truncated = shown < matches.size() || !complete;
    if (shown < matches.size()) {
      missing = std::to_string(matches.size() - shown) +
                " more match(es) are not shown (max_chars " + std::to_string(max_chars) +
                "): raise max_chars, or ask for fewer with max_matches or a narrower pattern.";
    }
    if (!complete) {
      const auto from = out.scanned_to.value_or(out.next_offset);
      missing += (missing.empty() ? "" : " ") + std::string("The search stopped at byte ") +
                 std::to_string(from) + " of " + std::to_string(out.output_bytes) +
                 " (max_matches reached, or its time bound): continue with " + call_id +
                 ", grep=" + json_quoted(*op.grep) + ", offset=" + std::to_string(from) + ").";
    }
    if (matches.empty() && complete) output = "(no line matches)\n";
  } else {
    output = out.output;
    const auto chars = out.chars.value_or(output.size());
    j["chars"] = chars;
    where = "bytes " + std::to_string(out.offset) + "-" + std::to_string(out.next_offset) + " of " +
            std::to_string(out.output_bytes);
    if (out.first_line) {
      j["first_line"] = *out.first_line;
      auto lines = count_newlines(output);
      if (!output.empty() && output.back() == '\n') --lines;
      const auto last = *out.first_line + lines;
      if (!output.empty()) j["last_line"] = last;
      where =
          "lines " + std::to_string(*out.first_line) + "-" + std::to_string(last) + ", " + where;
    }
    if (mode == "tail") {
      if (truncated) {
        missing = "Earlier output (bytes 0-" + std::to_string(out.offset) +
                  ") is not shown: read it from the start with " + call_id +
                  ", offset=0), or search it with grep.";
      }
    } else if (mode == "since_last_read") {
      if (truncated) {
        missing = "More unread output follows (from byte " + std::to_string(out.next_offset) +
                  "): call " + call_id + ", since_last_read=true" +
                  (args.contains("reader") ? ", reader=" + json_quoted(reader) : std::string()) +
                  ") again.";
      }
    } else if (truncated || (out.next_offset < out.output_bytes)) {
      truncated = true;
      missing = "More output follows (bytes " + std::to_string(out.next_offset) + "-" +
                std::to_string(out.output_bytes) + "): " + call_id +
                ", offset=" + std::to_string(out.next_offset) + ").";
    }
    if (!truncated && task.status == proto::Status::working && mode != "tail") {
      where += "; the task is still writing: continue later with " +
               (mode == "since_last_read"
                    ? call_id + ", since_last_read=true)"
                    : call_id + ", offset=" + std::to_string(out.next_offset) + ")");
    }
  }
  if (out.cut_bytes) {
    missing += (missing.empty() ? "" : " ") + std::string("The log outgrew its size cap: ") +
               std::to_string(*out.cut_bytes) + " bytes in its middle were dropped.";
  }
  j["output"] = output;
  j["truncated"] = truncated;
  if (!missing.empty()) j["truncated_message"] = missing;

  std::string text = status_line(task) + "\n";
  text += "Output (" + mode + ", " + where + ")";
  if (out.log_path) text += ", log " + *out.log_path;
  text += ":\n";
  text += output;
  if (!output.empty() && output.back() != '\n') text += "\n";
  if (!missing.empty()) text += "[" + missing + "]";
  return ToolResult::ok(std::move(j), std::move(text));
}

ToolResult Tools::final_result(const std::string& task_id, ToolContext& ctx) {
  ToolResult r = task_result({{"task_id", task_id}}, ctx);
  if (!r.is_error && r.structured.value("status", std::string()) != "completed") {
    r.is_error = true;  // the command did not succeed: the MCP task's result is a tool error
  }
  return r;
}

}  // namespace bb::shim
