// backburner prune: removes finished tasks and their logs by age and total size.
#include <cmath>
#include <ostream>

#include "commands.h"
#include "daemon_link.h"
#include "task_format.h"

namespace bb::cli {

namespace {

using nlohmann::json;

// "2G", "500M", "10K", "1048576": a size in bytes (powers of 1024).
std::optional<std::uint64_t> parse_size(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(v) || v < 0) return std::nullopt;
  const std::string unit = end;
  double scale = 1;
  if (unit == "K" || unit == "KiB") scale = 1024.0;
  else if (unit == "M" || unit == "MiB") scale = 1024.0 * 1024;
  else if (unit == "G" || unit == "GiB") scale = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "TiB") scale = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty()) return std::nullopt;
  return static_cast<std::uint64_t>(v * scale);
}

int run_prune(Context& ctx, const ParsedArgs& args) {
  proto::PruneParams p;
  if (auto d = args.value("older-than")) {
    auto seconds = parse_duration_seconds(*d);
    if (!seconds)
      return ctx.fail("--older-than must be a duration such as 7d, 12h or 90m; got \"" + *d + "\"",
                      kExitUsage);
    p.older_than_days = *seconds / 86400.0;
  }
  if (auto k = args.value("keep-bytes")) {
    auto bytes = parse_size(*k);
    if (!bytes) return ctx.fail("--keep-bytes must be a size such as 2G or 500M; got \"" + *k + "\"", kExitUsage);
    p.keep_bytes = *bytes;
  }
  p.dry_run = args.has("dry-run");
  auto opened = DaemonLink::open(ctx.env, Autostart::yes);
  if (auto* e = std::get_if<LinkError>(&opened)) return ctx.fail(e->message);
  auto answer = std::get<DaemonLink>(opened).call(proto::method::kTaskPrune, json(p));
  if (auto* e = std::get_if<RpcError>(&answer)) return ctx.fail(describe(*e));
  const auto r = std::get<json>(answer).get<proto::PruneResult>();
  if (args.has("json")) {
    ctx.print_json(json(r));
    return kExitOk;
  }
  ctx.out << (p.dry_run ? "Would remove " : "Removed ") << r.removed << " finished task"
          << (r.removed == 1 ? "" : "s") << " (" << format_bytes(r.freed_bytes)
          << " of logs); finished tasks keep " << format_bytes(r.kept_bytes) << ".\n";
  return kExitOk;
}

}  // namespace

Command prune_command() {
  Command c;
  CommandSpec& s = c.spec;
  s.name = "prune";
  s.synopsis = "[OPTIONS]";
  s.summary = "Remove finished tasks and their logs by age and total size";
  s.description =
      "Removes finished tasks that ended longer ago than --older-than, then the oldest\n"
      "finished tasks until their logs fit --keep-bytes. Running tasks are never touched.\n"
      "Without options it applies the daemon's own retention settings, which it also applies\n"
      "by itself as tasks end: BACKBURNER_KEEP_DAYS (default 30) and BACKBURNER_KEEP_BYTES\n"
      "(default 2G) in the daemon's environment.\n";
  s.options = {
      {"older-than", 0, "DURATION", "remove tasks that ended more than DURATION ago (7d, 12h)"},
      {"keep-bytes", 0, "SIZE", "then keep at most SIZE of logs (2G, 500M)"},
      {"dry-run", 'n', "", "say what would be removed, remove nothing"},
      json_option("{removed, freed_bytes, kept_bytes, task_ids}"),
  };
  s.max_positionals = 0;
  s.examples =
      "  backburner prune --dry-run\n"
      "  backburner prune --older-than 7d --keep-bytes 500M\n";
  c.run = run_prune;
  return c;
}

}  // namespace bb::cli
