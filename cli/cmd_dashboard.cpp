// backburner dashboard: the daemon's web page, on this machine only. Asks the daemon (started
// if need be) to serve it and prints a link with a fresh one-time token; --open also opens it.
#include <ostream>

#include "browser_open.h"
#include "commands.h"
#include "daemon_link.h"

namespace bb::cli {

namespace {

using nlohmann::json;

int run_dashboard(Context& ctx, const ParsedArgs& args) {
  const bool open = args.has("open");
  if (open && (args.has("no-browser") || args.has("print-url")))
    return ctx.fail("--open cannot be combined with --no-browser or --print-url", kExitUsage);
  auto opened = DaemonLink::open(ctx.env, Autostart::yes);
  if (auto* e = std::get_if<LinkError>(&opened)) return ctx.fail(e->message);
  auto answer = std::get<DaemonLink>(opened).call(proto::method::kDashboardOpen, json::object());
  if (auto* e = std::get_if<RpcError>(&answer)) {
    if (e->code == proto::error::kMethodNotFound)
      return ctx.fail("the running backburnerd is older and serves no dashboard; restart it "
                      "(backburner daemon stop) and try again");
    return ctx.fail(describe(*e));
  }
  const auto r = std::get<json>(answer).get<proto::DashboardOpenResult>();
  if (args.has("json")) {
    ctx.print_json(std::get<json>(answer));
  } else if (args.has("print-url")) {
    ctx.out << r.url << "\n";
  } else {
    ctx.out << "Dashboard: " << ctx.term.out.paint(r.url, Colour::bold) << "\n"
            << ctx.term.out.paint(
                   "The link lets one browser in, once, within " +
                       std::to_string(static_cast<long long>(r.token_expires_in_seconds / 60)) +
                       " minutes; run `backburner dashboard` again for another.",
                   Colour::dim)
            << "\n";
  }
  if (open) {
    if (auto err = open_in_browser(r.url, ctx.env); !err.empty())
      return ctx.fail(err + "; open the link above yourself");
  }
  return kExitOk;
}

}  // namespace

Command dashboard_command() {
  Command c;
  CommandSpec& s = c.spec;
  s.name = "dashboard";
  s.synopsis = "[OPTIONS]";
  s.summary = "Watch and steer tasks in the browser";
  s.description =
      "Asks backburnerd (started if need be) to serve its dashboard, a web page on this\n"
      "machine only (http://127.0.0.1:PORT/), and prints a link to it with a fresh access\n"
      "token. The token lets one browser in, once, within 10 minutes: the browser trades it\n"
      "for a session cookie, which lasts as long as the daemon runs.\n"
      "\n"
      "The page shows every task live (status, progress, duration), a task's log as it is\n"
      "written (colours, search, download), a timeline of the last hours and the daemon's\n"
      "health; it cancels tasks and runs finished ones again.\n"
      "\n"
      "The port is BACKBURNER_DASHBOARD_PORT in the daemon's environment, else one derived\n"
      "from the user id (20000 + uid mod 12000, or the next free one of the 9 after it).\n";
  s.options = {
      {"open", 0, "", "also open the link in the web browser (xdg-open; BACKBURNER_BROWSER overrides)"},
      {"no-browser", 0, "", "do not open a browser (the default)"},
      {"print-url", 0, "", "print only the link, for scripts"},
      json_option("url, base_url, port and token_expires_in_seconds"),
  };
  s.max_positionals = 0;
  s.examples =
      "  backburner dashboard --open\n"
      "  chromium \"$(backburner dashboard --print-url)\"\n";
  c.run = run_dashboard;
  return c;
}

}  // namespace bb::cli
