// backburner-bench: measures backburner against the raw operations it wraps and against its
// peers, on this machine, in one run. Prints a table; never fails because a figure misses its
// target (exit 0), only when it could not run at all (exit 1; 2 for a usage error).
//
//   backburner-bench [--quick] [--json FILE] [--bin DIR] [--time-limit SECONDS]
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <thread>

#include "measure.h"
#include "version.h"

namespace fs = std::filesystem;
using namespace bench;

namespace {

constexpr const char* kUsage =
    "usage: backburner-bench [--quick] [--json FILE] [--bin DIR] [--time-limit SECONDS]\n"
    "\n"
    "Starts backburnerd in a temp state dir and measures it (and backburner-mcp if built)\n"
    "against the raw operations it wraps, each figure as median and p90 next to its floor.\n"
    "\n"
    "  --quick            small sizes, under a minute (what CI runs)\n"
    "  --json FILE        also write the figures as JSON\n"
    "  --bin DIR          where backburnerd, backburner-keeper, backburner-mcp are\n"
    "                     (default: this program's directory)\n"
    "  --time-limit S     stop measuring after S seconds and print what was measured\n"
    "                     (default 45 with --quick, 3600 without)\n"
    "  --only LIST        run only these sections (comma-separated): idle, latency,\n"
    "                     round-trips, shim, throughput, capture, reads, policy, events,\n"
    "                     daemon-grep, many, scale, grep, durability\n";

std::string first_line(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

std::string loadavg() {
  std::string l = first_line("/proc/loadavg");
  // "0.52 0.58 0.59 1/123 4567": the three averages.
  std::size_t cut = 0;
  for (int i = 0; i < 3 && cut != std::string::npos; ++i) cut = l.find(' ', cut + 1);
  return l.substr(0, cut);
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string json_path;
  std::string bin_dir;
  double time_limit = -1;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "backburner-bench: " << a << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--quick") {
      quick = true;
    } else if (a == "--json") {
      json_path = value();
    } else if (a == "--bin") {
      bin_dir = value();
    } else if (a == "--time-limit") {
      time_limit = std::atof(value().c_str());
    } else if (a == "--only") {
      only = ",";  // (not "," + value(): GCC 12 warns falsely about that form at -O3)
      only.append(value()).append(",");
    } else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "backburner-bench: unknown argument \"" << a << "\"\n" << kUsage;
      return 2;
    }
  }
  if (bin_dir.empty()) {
    std::error_code ec;
    bin_dir = fs::read_symlink("/proc/self/exe", ec).parent_path().string();
  }
  bin_dir = fs::absolute(bin_dir).lexically_normal().string();
  for (const char* exe : {"backburnerd", "backburner-keeper"}) {
    if (::access((bin_dir + "/" + exe).c_str(), X_OK) != 0) {
      std::cerr << "backburner-bench: no " << exe << " in " << bin_dir
                << " (build it, or pass --bin DIR)\n";
      return 1;
    }
  }
  if (time_limit < 0) time_limit = quick ? 45 : 3600;

  install_stop_handlers();
  ::alarm(static_cast<unsigned>(time_limit));

  Config cfg = Config::make(quick);
  cfg.bin_dir = bin_dir;
  Report report;
  const auto started = Clock::now();
  const std::string load_before = loadavg();
  bool daemon_started = false;
  {
    std::unique_ptr<TempDir> root;
    try {
      root = std::make_unique<TempDir>("bb-bench-");
    } catch (const std::exception& e) {
      std::cerr << "backburner-bench: " << e.what() << "\n";
      return 1;
    }
    cfg.root = root->path();
    cfg.work_dir = cfg.root + "/work";
    fs::create_directories(cfg.work_dir);

    auto section = [&](const std::string& key, const std::string& name,
                       const std::function<void()>& body) {
      if (!only.empty() && key != "daemon" && only.find("," + key + ",") == std::string::npos)
        return;
      std::cerr << "backburner-bench: " << name << " ..." << std::flush;
      const auto t0 = Clock::now();
      try {
        check_stop();
        body();
        std::fprintf(stderr, " %.1f s\n", ms_since(t0) / 1000.0);
      } catch (const std::exception& e) {
        std::cerr << " failed: " << e.what() << "\n";
        Row r;
        r.section = name;
        r.figure = "(" + name + ")";
        r.note = std::string("not measured: ") + e.what();
        report.add(r);
      }
    };

    std::unique_ptr<Daemon> daemon;
    section("daemon", "daemon start", [&] {
      daemon = std::make_unique<Daemon>(cfg, cfg.root + "/state", cfg.root + "/daemon.log");
      daemon_started = true;
    });
    if (daemon) {
      Daemon& d = *daemon;
      section("idle", "memory and idle CPU", [&] { bench_idle(cfg, d, report); });
      section("latency", "latency", [&] { bench_latency(cfg, d, report); });
      section("round-trips", "round trips", [&] { bench_status_round_trip(cfg, d, report); });
      section("shim", "shim (backburner-mcp)", [&] { bench_shim(cfg, d, report); });
      section("throughput", "throughput", [&] { bench_throughput(cfg, d, report); });
      section("capture", "output capture", [&] { bench_capture(cfg, d, report); });
      section("reads", "output reads", [&] { bench_reads(cfg, d, report); });
      section("policy", "hostile policies", [&] { bench_policy(cfg, d, report); });
      section("events", "events pushed", [&] { bench_push(cfg, d, report); });
      section("daemon-grep", "grep through the daemon", [&] { bench_daemon_grep(cfg, d, report); });
      section("many", "many tasks", [&] { bench_many_tasks(cfg, d, report); });
      section("many", "after the run", [&] { bench_after_run(cfg, d, report); });
      daemon->stop();
      daemon.reset();
    }
    section("scale", "scale", [&] { bench_scale(cfg, report); });
    section("grep", "log grep", [&] { bench_grep(cfg, report); });
    section("durability", "durability", [&] { bench_durability(cfg, report); });
  }  // the temp dir goes here, after every daemon and task is stopped

  const double total_s = ms_since(started) / 1000.0;
  utsname u{};
  ::uname(&u);
  const std::string machine = std::string(u.sysname) + " " + u.release + ", " + cpu_model() + ", " +
                              std::to_string(std::thread::hardware_concurrency()) + " CPUs";
  std::printf("backburner-bench %s (%s mode), %s\n", BACKBURNER_VERSION, quick ? "quick" : "full",
              utc_now().c_str());
  std::printf("machine: %s\n", machine.c_str());
  std::printf("load average before: %s, after: %s; took %.0f s\n", load_before.c_str(),
              loadavg().c_str(), total_s);
  std::printf("binaries: %s\n", bin_dir.c_str());
  std::printf(
      "median and p90 over repeated runs (for rates, p90 is the rate 90%% of runs reached);\n"
      "floor: the raw operation, measured in the same run; ratio = median / floor median\n\n");
  std::fputs(report.table().c_str(), stdout);
  if (stop_requested())
    std::printf(
        "\n(stopped early: the time limit passed or a signal came; figures above are what "
        "was measured)\n");
  std::fflush(stdout);

  if (!json_path.empty()) {
    nlohmann::json j = {{"version", BACKBURNER_VERSION},
                        {"mode", quick ? "quick" : "full"},
                        {"date", utc_now()},
                        {"machine", machine},
                        {"load_before", load_before},
                        {"load_after", loadavg()},
                        {"seconds", total_s},
                        {"stopped_early", stop_requested()},
                        {"rows", report.to_json()}};
    std::ofstream out(json_path);
    out << j.dump(2) << "\n";
    if (!out) std::cerr << "backburner-bench: cannot write " << json_path << "\n";
  }
  return daemon_started ? 0 : 1;
}
