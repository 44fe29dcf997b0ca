// The "policy" section: what a client that declares the worst policy it can, and then sends
// the longest commands the protocol allows, costs every other client of the daemon. The
// daemon is single-threaded, so each of its policy checks delays everyone; RE2 bounds a check
// by the command's length times what the patterns compile to.
#include <atomic>
#include <random>
#include <stdexcept>
#include <thread>

#include "measure.h"
#include "protocol.h"

namespace bench {

namespace {

using std::chrono::milliseconds;
namespace method = bb::proto::method;

// Patterns built to make a backtracking matcher take exponential time (the adversarial run
// that made each start take 25 s with Boost.Regex), as an allow list none of them satisfies.
bb::proto::Policy backtracking_policy() {
  bb::proto::Policy p;
  for (char x : std::string("cde")) {
    p.allow.push_back(std::string("(a+)+") + x + "$");
    p.allow.push_back(std::string("(a|aa)+") + x + "$");
    p.allow.push_back(std::string("(.*a){20}") + x);
  }
  for (const char* s : {"(a*)*b$", "(x+x+)+y", "^(a|a?)+$", "(a|b|ab)*%", "([a-z]+)*=",
                        "(\\w+\\s?)+$", "(.*){2}#", "(a+)+bb$", "(a*a*)*cc", "(aa|a)+d$",
                        "(a?){20}a{20}q", "a*a*a*a*a*z"})
    p.allow.push_back(s);
  return p;
}

// The worst known for RE2: patterns whose DFA must remember the last k bytes (2^k states, so
// its cache thrashes), as many as the daemon's size bound admits (45 of them).
bb::proto::Policy dfa_policy() {
  bb::proto::Policy p;
  for (int i = 0; i < 45; ++i)
    (i % 2 ? p.allow : p.deny).push_back("[ab]*a[ab]{" + std::to_string(12 + i % 8) + "}z");
  return p;
}

bb::RpcClient connect_with(const Daemon& d, const bb::proto::Policy& policy) {
  auto c = bb::RpcClient::connect(d.socket_path());
  if (auto* msg = std::get_if<std::string>(&c)) throw std::runtime_error(*msg);
  bb::RpcClient client = std::get<bb::RpcClient>(std::move(c));
  bb::proto::HelloParams hello;
  hello.client = {"bench-hostile", "1"};
  hello.policy = policy;
  auto h = client.hello(hello);
  if (auto* e = std::get_if<bb::RpcError>(&h)) throw std::runtime_error("hello: " + e->message);
  return client;
}

struct Hostile {
  std::vector<double> decision_ms;  // each refused task.start, request to answer
  std::string error;
};

// Sends `command` as task.start again and again until `stop`; each must be refused (1005).
void hostile_loop(const Daemon& d, const Config& cfg, const bb::proto::Policy& policy,
                  const std::string& command, const std::atomic<bool>& stop, Hostile& out) {
  try {
    bb::RpcClient c = connect_with(d, policy);
    const json params = {{"command", command}, {"cwd", cfg.work_dir}};
    while (!stop.load()) {
      const auto t0 = Clock::now();
      auto r = c.call(method::kTaskStart, params, std::chrono::seconds(120));
      out.decision_ms.push_back(ms_since(t0));
      auto* e = std::get_if<bb::RpcError>(&r);
      if (e == nullptr || e->code != bb::proto::error::kPolicyDenied)
        throw std::runtime_error("the hostile start was not refused by the policy");
    }
  } catch (const std::exception& e) {
    out.error = e.what();
  }
}

std::vector<double> get_latencies(bb::RpcClient& c, const std::string& id, int reps) {
  std::vector<double> out;
  for (int i = 0; i < reps; ++i) {
    check_stop();
    const auto t0 = Clock::now();
    call(c, method::kTaskGet, {{"task_id", id}});
    out.push_back(ms_since(t0));
  }
  return out;
}

}  // namespace

void bench_policy(const Config& cfg, Daemon& d, Report& report) {
  const std::string section = "policy";
  auto bystander = d.connect();
  const json started =
      call(bystander, method::kTaskStart, {{"command", "true"}, {"cwd", cfg.work_dir}});
  const std::string id = started.at("task_id");
  const int reps = cfg.quick ? 100 : 400;
  get_latencies(bystander, id, 20);  // warm up
  const Summary alone = summarize(get_latencies(bystander, id, reps));

  const std::string prefix = "echo ";
  std::string longest(bb::proto::kMaxCommandBytes, 'a');
  longest.replace(0, prefix.size(), prefix);
  longest.back() = '!';
  std::string random_ab(bb::proto::kMaxCommandBytes, 'a');
  std::mt19937 rng(1);
  for (char& ch : random_ab) ch = (rng() & 1) ? 'a' : 'b';

  struct Case {
    const char* what;
    bb::proto::Policy policy;
    const std::string& command;
    int answers;  // the bystander's: under the DFA-defeating policy each can wait seconds
  };
  const Case cases[] = {
      {"21 backtracking-hostile allow patterns", backtracking_policy(), longest, reps},
      {"45 DFA-defeating patterns at the size bound", dfa_policy(), random_ab, 10},
  };
  for (const Case& k : cases) {
    std::atomic<bool> stop{false};
    Hostile hostile;
    std::thread t([&] { hostile_loop(d, cfg, k.policy, k.command, stop, hostile); });
    std::this_thread::sleep_for(milliseconds(100));  // let it start sending
    std::vector<double> lat;
    try {
      lat = get_latencies(bystander, id, k.answers);
    } catch (...) {
      stop = true;
      t.join();
      throw;
    }
    stop = true;
    t.join();
    if (!hostile.error.empty()) throw std::runtime_error("hostile client: " + hostile.error);

    Row r;
    r.section = section;
    r.figure = std::string("task.get while another client sends 128 KiB commands under ") + k.what;
    r.unit = "ms";
    r.value = summarize(lat);
    r.floor = alone;
    r.floor_what = "the same task.get with no other client";
    r.note =
        "the other client's starts, each refused: " + std::to_string(hostile.decision_ms.size());
    report.add(r);

    Row h;
    h.section = section;
    h.figure = std::string("its task.start, refused, under ") + k.what;
    h.unit = "ms";
    h.value = summarize(hostile.decision_ms);
    h.note = "the daemon's policy check plus parsing the 128 KiB request";
    report.add(h);
  }
}

}  // namespace bench
