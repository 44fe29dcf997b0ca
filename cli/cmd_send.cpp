// backburner send: writes to a task's stdin (a task started with --stdin), e.g. to answer a
// prompt, and ends its input with --close.
#include <iostream>
#include <ostream>

#include "commands.h"
#include "daemon_link.h"
#include "task_format.h"

namespace bb::cli {

namespace {

using nlohmann::json;

int send_text(Context& ctx, DaemonLink& link, const std::string& id, const std::string& text,
              bool close, std::uint64_t& written) {
  proto::InputParams p;
  p.task_id = id;
  p.text = text;
  p.close = close;
  auto answer = link.call(proto::method::kTaskInput, json(p));
  if (auto* e = std::get_if<RpcError>(&answer)) return ctx.fail(describe(*e));
  written += std::get<json>(answer).value("written", std::uint64_t{0});
  return kExitOk;
}

int run_send(Context& ctx, const ParsedArgs& args) {
  const std::string& id = args.positionals[0];
  const bool close = args.has("close");
  const bool from_stdin = args.positionals.size() == 2 && args.positionals[1] == "-";
  if (args.positionals.size() == 1 && !close)
    return ctx.fail("give TEXT to send, - to send this command's stdin, or --close", kExitUsage);
  auto opened = DaemonLink::open(ctx.env, Autostart::yes);
  if (auto* e = std::get_if<LinkError>(&opened)) return ctx.fail(e->message);
  DaemonLink& link = std::get<DaemonLink>(opened);
  std::uint64_t written = 0;
  if (from_stdin) {
    // In pieces the daemon takes at once; each piece goes whole or not at all.
    std::string chunk(proto::kMaxInputBytes / 4, '\0');
    while (std::cin) {
      std::cin.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      const auto n = static_cast<std::size_t>(std::cin.gcount());
      if (n == 0) break;
      if (int s = send_text(ctx, link, id, chunk.substr(0, n), false, written); s != kExitOk)
        return s;
    }
    if (close) {
      if (int s = send_text(ctx, link, id, "", true, written); s != kExitOk) return s;
    }
  } else {
    std::string text = args.positionals.size() == 2 ? args.positionals[1] : "";
    // A line, as typed at a prompt, unless -n.
    if (args.positionals.size() == 2 && !args.has("no-newline")) text += "\n";
    if (text.size() > proto::kMaxInputBytes)
      return ctx.fail("TEXT is " + std::to_string(text.size()) + " bytes; at most " +
                          std::to_string(proto::kMaxInputBytes) +
                          " at once: send it in parts, or through - (stdin)",
                      kExitUsage);
    if (int s = send_text(ctx, link, id, text, close, written); s != kExitOk) return s;
  }
  if (ctx.term.stderr_tty)
    ctx.err << ctx.term.err.paint("sent " + format_bytes(written) + " to " + id +
                                      (close ? "; its input is closed" : ""),
                                  Colour::dim)
            << "\n";
  return kExitOk;
}

}  // namespace

Command send_command() {
  Command c;
  CommandSpec& s = c.spec;
  s.name = "send";
  s.synopsis = "[OPTIONS] ID [TEXT|-]";
  s.summary = "Write to a task's stdin (tasks started with --stdin)";
  s.description =
      "Sends TEXT and a newline to the task's stdin, as if typed at its prompt; with -, sends\n"
      "this command's own stdin as it is. --close then ends the task's input (it reads to the\n"
      "end of what was sent, then gets end-of-file); --close alone only ends it.\n"
      "\n"
      "The input belongs to the task's keeper, so it works whatever happens to the daemon.\n"
      "A task reads at its own pace: when it has not read what was sent before and its input\n"
      "is full (1 MiB where the system allows, else 64 KiB), nothing is written and the\n"
      "command fails: send again later. Fails clearly for a task without --stdin, a closed\n"
      "input, or a task that has ended.\n";
  s.options = {
      {"close", 0, "", "then end the task's input"},
      {"no-newline", 'n', "", "do not add a newline to TEXT"},
  };
  s.min_positionals = 1;
  s.max_positionals = 2;
  s.examples =
      "  id=$(backburner start --stdin -- ./configure --interactive)\n"
      "  backburner send \"$id\" yes\n"
      "  backburner send --close \"$id\" - < answers.txt\n";
  c.run = run_send;
  return c;
}

}  // namespace bb::cli
