#include "service_runner.h"

#include <fstream>
#include <ostream>

#include "daemon_control.h"
#include "service_host.h"

namespace bb::cli {

namespace fs = std::filesystem;
using Kind = PlanStep::Kind;

namespace {

std::string command_line(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + shell_word(a);
  return s;
}

std::string with_why(std::string text, const PlanStep& step) {
  if (!step.why.empty()) text += "  (" + step.why + ")";
  return text;
}

// Temp file + rename: a unit manager never reads a half-written file.
std::string write_file(const fs::path& path, const std::string& content) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << content;
    f.close();
    if (!f) return "cannot write " + tmp.string();
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return "cannot rename " + tmp.string() + " to " + path.string();
  }
  return {};
}

}  // namespace

std::string shell_word(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789_./=:@%+,-") == std::string::npos) {
    return word;
  }
  std::string q = "'";
  for (char c : word) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

void print_plan(Context& ctx, const ServicePlan& plan, const std::string& what) {
  ctx.out << "Dry run: nothing is changed. `backburner " << what << "` would:\n";
  for (const auto& step : plan.steps) {
    switch (step.kind) {
      case Kind::make_dir:
        ctx.out << "  create directory " << step.path.string() << "\n";
        break;
      case Kind::write_file:
        ctx.out << "  write " << step.path.string() << "\n";
        for (std::size_t pos = 0; pos < step.content.size();) {
          auto nl = step.content.find('\n', pos);
          if (nl == std::string::npos) nl = step.content.size();
          ctx.out << "    | " << step.content.substr(pos, nl - pos) << "\n";
          pos = nl + 1;
        }
        break;
      case Kind::remove_file:
        ctx.out << "  remove " << step.path.string() << "\n";
        break;
      case Kind::run:
        ctx.out << with_why("  run: " + command_line(step.argv), step) << "\n";
        break;
      case Kind::stop_daemon:
        ctx.out << with_why("  stop the running backburnerd, if any", step) << "\n";
        break;
    }
  }
  for (const auto& n : plan.notes) ctx.out << "Note: " << n << "\n";
}

int carry_out(Context& ctx, const ServicePlan& plan, bool pass_status) {
  int last_status = kExitOk;
  for (const auto& step : plan.steps) {
    std::error_code ec;
    switch (step.kind) {
      case Kind::make_dir:
        fs::create_directories(step.path, ec);
        if (ec) return ctx.fail("cannot create " + step.path.string() + ": " + ec.message());
        break;
      case Kind::write_file:
        if (auto err = write_file(step.path, step.content); !err.empty()) return ctx.fail(err);
        ctx.out << "wrote " << step.path.string() << "\n";
        break;
      case Kind::remove_file:
        if (fs::remove(step.path, ec)) ctx.out << "removed " << step.path.string() << "\n";
        if (ec) return ctx.fail("cannot remove " + step.path.string() + ": " + ec.message());
        break;
      case Kind::run: {
        if (!pass_status) ctx.out << "run: " << command_line(step.argv) << "\n";
        ctx.out.flush();
        auto ran = run_command(step.argv);
        if (auto* msg = std::get_if<std::string>(&ran)) {
          if (step.may_fail) break;
          return ctx.fail(*msg);
        }
        last_status = std::get<int>(ran);
        if (last_status != 0 && !step.may_fail && !pass_status) {
          return ctx.fail(command_line(step.argv) + " failed with status " +
                          std::to_string(last_status));
        }
        break;
      }
      case Kind::stop_daemon: {
        auto stopped = stop_daemon(ctx.env);
        if (auto* msg = std::get_if<std::string>(&stopped)) return ctx.fail(*msg);
        const auto& s = std::get<StopOutcome>(stopped);
        if (s.was_running) {
          ctx.out << "stopped backburnerd (pid " << s.pid << "); " << s.working
                  << " working task(s) keep running\n";
        }
        break;
      }
    }
  }
  for (const auto& n : plan.notes) ctx.out << "Note: " << n << "\n";
  return pass_status ? last_status : kExitOk;
}

}  // namespace bb::cli
