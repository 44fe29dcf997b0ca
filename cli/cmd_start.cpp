// backburner start: hands one shell command to the daemon and prints the new task's id.
#include <filesystem>
#include <ostream>

#include "commands.h"
#include "daemon_link.h"
#include "os.h"
#include "shell_words.h"
#include "task_environment.h"

namespace bb::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

int run_start(Context& ctx, const ParsedArgs& args) {
  json params = {{"command", command_from_words(args.positionals)}};
  std::error_code ec;
  const fs::path here = fs::current_path(ec);
  if (auto dir = args.value("cwd")) {
    if (dir->empty()) return ctx.fail("--cwd needs a directory", kExitUsage);
    params["cwd"] = (ec ? fs::path(*dir) : here / *dir).lexically_normal().string();
  } else {
    if (ec) return ctx.fail("cannot tell the current directory (" + ec.message() + "); pass --cwd");
    params["cwd"] = here.string();
  }
  if (auto t = args.value("timeout")) {
    auto seconds = parse_duration_seconds(*t);
    if (!seconds) {
      return ctx.fail(
          "--timeout must be a duration greater than 0, such as 90, 30s, 10m or 2h; got \"" + *t +
              "\"",
          kExitUsage);
    }
    params["timeout_seconds"] = *seconds;
  }
  std::vector<std::string> dropped;
  auto env = task_environment(os::environment(), &dropped);
  for (const auto& name : dropped) ctx.warn(name + " is not valid UTF-8; the task will not get it");
  for (const auto& kv : args.all("env")) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return ctx.fail("--env needs NAME=VALUE, got \"" + kv + "\"", kExitUsage);
    env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  params["env"] = std::move(env);
  if (auto label = args.value("label")) {
    if (label->size() > proto::kMaxLabelBytes)
      return ctx.fail("--label may be at most " + std::to_string(proto::kMaxLabelBytes) +
                          " bytes",
                      kExitUsage);
    if (!label->empty()) params["label"] = *label;
  }
  if (args.has("stdin")) params["stdin"] = "pipe";
  // A start that is sent again after a broken connection must not run the command twice: the
  // daemon answers a repeated key with the task the first request created.
  params["idempotency_key"] = "backburner-cli-" + os::random_id(20);

  auto link = DaemonLink::open(ctx.env, Autostart::yes);
  if (auto* e = std::get_if<LinkError>(&link)) return ctx.fail(e->message);
  auto answer = std::get<DaemonLink>(link).call(proto::method::kTaskStart, params);
  if (auto* e = std::get_if<RpcError>(&answer)) {
    if (e->code == kTransportError) {
      return ctx.fail(describe(*e) + "; the task may or may not have started (a second attempt "
                      "failed too): check with `backburner list` before starting it again");
    }
    return ctx.fail(describe(*e));
  }
  const json& task = std::get<json>(answer);
  if (args.has("json")) {
    ctx.print_json(task);
    return kExitOk;
  }
  const std::string id = task.value("task_id", "");
  ctx.out << id << "\n";
  if (ctx.term.stderr_tty) {
    ctx.err << ctx.term.err.paint("started " + id + "; follow it with: backburner logs -f " + id,
                                  Colour::dim)
            << "\n";
  }
  return kExitOk;
}

}  // namespace

Command start_command() {
  Command c;
  CommandSpec& s = c.spec;
  s.name = "start";
  s.synopsis = "[OPTIONS] [--] COMMAND...";
  s.summary = "Start a shell command as a background task and print its id";
  s.description =
      "The command runs with /bin/sh -c in the current directory (or --cwd), with this\n"
      "shell's whole environment (plus --env) and stdin from /dev/null (or, with --stdin, a\n"
      "pipe that `backburner send` writes to). Its stdout and stderr go, merged, to the task's\n"
      "log: see `backburner logs`. It keeps running when this terminal closes.\n"
      "\n"
      "One argument is a shell command of its own, passed as it is:\n"
      "`backburner start -- 'make test 2>&1 | tee test.log'` pipes inside the task.\n"
      "Several arguments are run as exactly those words (each is quoted for the task's\n"
      "shell, as nohup, timeout and systemd-run do): `backburner start -- sh -c 'echo a; echo b'`\n"
      "runs sh with the two arguments -c and \"echo a; echo b\". The task records the quoted\n"
      "form as its command. Options end at the first word of COMMAND; `--` makes that explicit.\n"
      "\n"
      "Prints only the task's id on stdout, so `id=$(backburner start -- ...)` works.\n"
      "The command policy (BACKBURNER_ALLOW / BACKBURNER_DENY) may refuse it: the message\n"
      "names the rule, and the exit status is 1.\n";
  s.options = {
      {"cwd", 0, "DIR", "run in DIR (relative to the current directory)"},
      {"timeout", 0, "DURATION", "stop the task after DURATION: seconds, or 30s, 10m, 2h, 1d"},
      {"label", 'l', "LABEL", "a short tag to find the task by (`backburner list --label`)"},
      {"env", 'e', "NAME=VALUE", "set a variable for the task (may be repeated)", true},
      {"stdin", 0, "", "give the task a stdin that `backburner send` writes to"},
      json_option("the new task"),
  };
  s.min_positionals = 1;
  s.options_end_at_first_positional = true;
  s.examples =
      "  backburner start -- make -j8 test\n"
      "  backburner start --timeout 2h --cwd ~/src/site -- ./scrape.sh --all\n"
      "  id=$(backburner start -- 'pytest -x 2>&1') && backburner wait \"$id\"\n";
  c.run = run_start;
  return c;
}

}  // namespace bb::cli
