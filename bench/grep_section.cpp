// The "grep" section: the daemon's log grep (daemon/log_grep.h) over a large log, run in this
// process the way the daemon runs it: bounded steps, one after another. Its floor is GNU grep
// reading the same file.
#include <unistd.h>

#include <fstream>
#include <optional>
#include <stdexcept>

#include "log_grep.h"
#include "measure.h"

namespace bench {

namespace {

// A line of a busy service's log, about 90 bytes.
std::string service_line(std::uint64_t i) {
  return "2026-11-30T07:00:00.000Z worker-" + std::to_string(i % 7) +
         (i % 1000 == 999 ? " error" : " info ") + " request " + std::to_string(i) +
         " handled in " + std::to_string(i % 97) + " ms\n";
}

struct Scan {
  double ms = 0;
  std::size_t most_memory = 0;  // the scan's own buffers, at their largest
  std::size_t matches = 0;
};

// One whole scan in steps of `step` bytes (0: as step_bytes_within(10 ms) says).
Scan grep_log(const std::string& path, const std::string& pattern, std::uint64_t step) {
  auto opened = bb::open_log(path);
  if (!opened) throw std::runtime_error("cannot open " + path + ": " + opened.error().message());
  bb::LogFile& log = **opened;
  bb::GrepOptions o;
  o.pattern = pattern;
  o.context_lines = 2;
  auto created = bb::GrepScan::create(o, log.size());
  if (auto* e = std::get_if<std::string>(&created)) throw std::runtime_error(*e);
  bb::GrepScan& scan = std::get<bb::GrepScan>(created);
  if (step == 0) step = scan.step_bytes_within(10'000'000);
  Scan s;
  const auto t0 = Clock::now();
  for (bool done = false; !done;) {
    auto r = scan.step(log, step);
    if (!r) throw std::runtime_error("read: " + r.error().message());
    done = *r;
    s.most_memory = std::max(s.most_memory, scan.memory_bytes());
  }
  s.ms = ms_since(t0);
  s.matches = scan.take_result().matches.size();
  return s;
}

}  // namespace

void bench_grep(const Config& cfg, Report& report) {
  const std::string section = "grep";
  const std::string path = cfg.root + "/grep.log";
  std::uint64_t size = 0;
  {
    std::ofstream out(path, std::ios::binary);
    std::string block;
    for (std::uint64_t i = 0; size < cfg.log_bytes; ++i) {
      std::string l = service_line(i);
      if (size < cfg.log_bytes / 2 && size + l.size() >= cfg.log_bytes / 2)
        l = "FATAL needle-4242: the line looked for\n";
      size += l.size();
      block += l;
      if (block.size() >= (4u << 20)) {
        out.write(block.data(), static_cast<std::streamsize>(block.size()));
        block.clear();
      }
    }
    out.write(block.data(), static_cast<std::streamsize>(block.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
  }
  std::optional<std::string> gnu_grep;
  for (const char* g : {"/usr/bin/grep", "/bin/grep"})
    if (!gnu_grep && ::access(g, X_OK) == 0) gnu_grep = g;
  const int reps = cfg.quick ? 2 : 5;
  struct Case {
    std::string what;
    std::string pattern;
    std::uint64_t step;
  };
  const Case cases[] = {
      {"one line in the middle, 1 MiB steps", "needle-\\d+", 1 << 20},
      {"one line in the middle, steps of step_bytes_within(10 ms)", "needle-\\d+", 0},
      {"a pattern that matches nothing, case-insensitive, 1 MiB steps",
       "(?i)timeout after \\d+ retries", 1 << 20},
  };
  for (const Case& k : cases) {
    std::vector<double> mbps, floor_mbps;
    std::size_t memory = 0;
    for (int rep = 0; rep < reps; ++rep) {
      check_stop();
      if (gnu_grep) {
        const auto t0 = Clock::now();
        // -c: count only; -E: the same pattern, translated (GNU ERE has no \d nor (?i)).
        std::string ere = k.pattern.find("needle") != std::string::npos
                              ? "needle-[0-9]+"
                              : "timeout after [0-9]+ retries";
        std::vector<std::string> argv = {*gnu_grep, "-c", "-E"};
        if (k.pattern.rfind("(?i)", 0) == 0) argv.push_back("-i");
        argv.push_back(ere);
        argv.push_back(path);
        run(argv);
        floor_mbps.push_back(static_cast<double>(size) / 1e3 / ms_since(t0));
      }
      const Scan s = grep_log(path, k.pattern, k.step);
      mbps.push_back(static_cast<double>(size) / 1e3 / s.ms);
      memory = std::max(memory, s.most_memory);
    }
    Row r;
    r.section = section;
    r.figure = "grep of a " + std::to_string(size >> 20) + " MiB log: " + k.what;
    r.unit = "MB/s";
    r.value = summarize(mbps, true);
    if (!floor_mbps.empty()) {
      r.floor = summarize(floor_mbps, true);
      r.floor_what = "GNU grep -c of the same file (page cache)";
    }
    r.note = "the scan's own memory at most " + std::to_string(memory / 1024) +
             " KiB, whatever the log's size";
    report.add(r);
  }
  std::filesystem::remove(path);
}

}  // namespace bench
