#include "measure.h"

#include <sys/wait.h>

#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "protocol.h"
#include "state_paths.h"

namespace bench {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

Config Config::make(bool quick) {
  Config c;
  c.quick = quick;
  if (quick) {
    c.latency_reps = 30;
    c.rtt_reps = 300;
    c.shim_cold_reps = 10;
    c.shim_rtt_reps = 200;
    c.shim_latency_reps = 20;
    c.start_rate_reps = 2;
    c.throughput_tasks = 100;
    c.throughput_reps = 3;
    c.peer_reps = 2;
    c.capture_bytes = 100ull << 20;
    c.capture_reps = 3;
    c.log_bytes = 100ull << 20;
    c.read_reps = 50;
    c.sleep_tasks = 100;
    c.idle_seconds = 2;
    c.stored_tasks = 10000;
    c.list_reps = 50;
  }
  return c;
}

json call(bb::RpcClient& c, const char* method, const json& params, milliseconds timeout) {
  auto out = c.call(method, params, timeout);
  if (auto* e = std::get_if<bb::RpcError>(&out))
    throw std::runtime_error(std::string(method) + ": " + e->message + " (code " +
                             std::to_string(e->code) + ")");
  return std::get<json>(std::move(out));
}

double iso_to_ms(const std::string& iso) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
    throw std::runtime_error("not an ISO 8601 time with milliseconds: " + iso);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(::timegm(&tm)) * 1000.0 + ms;
}

// ---------------------------------------------------------------------------------------------

Daemon::Daemon(const Config& config, const std::string& state_dir, const std::string& log_path,
               const std::vector<std::string>& extra_env)
    : config_(config), state_dir_(state_dir), log_path_(log_path) {
  // The kill grace only matters if something ignores SIGTERM; a short one keeps cleanup quick.
  std::vector<std::string> env = {"BACKBURNER_HOME=" + state_dir, "BACKBURNER_KILL_GRACE=1"};
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  daemon_env_ = clean_environment(env);
  client_env_ = clean_environment({"BACKBURNER_HOME=" + state_dir});
  const std::string home = state_dir;
  bb::StatePaths paths =
      bb::resolve_state_paths([&](std::string_view name) -> std::optional<std::string> {
        if (name == "BACKBURNER_HOME") return home;
        if (name == "BACKBURNER_SOCKET") return std::nullopt;
        if (const char* v = std::getenv(std::string(name).c_str())) return std::string(v);
        return std::nullopt;
      });
  socket_ = paths.socket.string();
  start();
}

Daemon::~Daemon() {
  try {
    stop();
  } catch (...) {
  }
}

double Daemon::start() {
  SpawnOptions o;
  o.env = &daemon_env_;
  o.stderr_path = log_path_;
  const auto t0 = Clock::now();
  pid_ = spawn({config_.bin_dir + "/backburnerd", "--foreground"}, o);
  const auto deadline = t0 + std::chrono::seconds(20);
  std::string last_error;
  while (Clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream log(log_path_);
      std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      throw std::runtime_error("backburnerd exited at start: " + text);
    }
    auto c = bb::RpcClient::connect(socket_);
    if (auto* client = std::get_if<bb::RpcClient>(&c)) {
      bb::proto::HelloParams hello;
      hello.client = {"bench", "1"};
      auto h = client->hello(hello);
      if (std::holds_alternative<bb::proto::HelloResult>(h)) return ms_since(t0);
      last_error = std::get<bb::RpcError>(h).message;
    } else {
      last_error = std::get<std::string>(c);
    }
    check_stop();
    std::this_thread::sleep_for(milliseconds(1));
  }
  throw std::runtime_error("backburnerd did not answer hello within 20 s: " + last_error);
}

bb::RpcClient Daemon::connect() const {
  auto c = bb::RpcClient::connect(socket_);
  if (auto* msg = std::get_if<std::string>(&c)) throw std::runtime_error(*msg);
  bb::RpcClient client = std::get<bb::RpcClient>(std::move(c));
  bb::proto::HelloParams hello;
  hello.client = {"bench", "1"};
  auto h = client.hello(hello);
  if (auto* e = std::get_if<bb::RpcError>(&h)) throw std::runtime_error("hello: " + e->message);
  return client;
}

void Daemon::stop() {
  if (pid_ <= 0) return;
  // Keepers are the daemon's children (started in their own sessions). Killing every process
  // of the tasks lets each keeper record the outcome and exit. (SIGTERM to a keeper would do
  // too, but each then walks all of /proc to find its tree: a thousand at once swamp the
  // machine.) Then SIGTERM whatever keeper is left.
  std::vector<pid_t> keepers = children_of(pid_);
  kill_descendants(keepers);
  auto wait_keepers = [&](std::chrono::milliseconds limit) {
    const auto until = Clock::now() + limit;
    while (Clock::now() < until) {
      bool any = false;
      for (pid_t k : keepers) any = any || alive(k);
      if (!any) return;
      std::this_thread::sleep_for(milliseconds(10));
    }
  };
  wait_keepers(std::chrono::seconds(5));
  for (pid_t k : keepers)
    if (alive(k)) ::kill(k, SIGTERM);
  wait_keepers(std::chrono::seconds(15));
  ::kill(pid_, SIGTERM);
  reap_within(pid_, std::chrono::seconds(10));
  pid_ = -1;
}

void Daemon::shutdown() {
  if (pid_ <= 0) return;
  try {
    auto c = connect();
    call(c, bb::proto::method::kDaemonShutdown, json::object(), std::chrono::seconds(10));
  } catch (...) {
    ::kill(pid_, SIGTERM);
  }
  reap_within(pid_, std::chrono::seconds(10));
  pid_ = -1;
}

double Daemon::restart() {
  if (pid_ > 0) shutdown();
  return start();
}

// ---------------------------------------------------------------------------------------------

McpSession::McpSession(const std::string& exe, const std::vector<std::string>& env)
    : child_({exe}, &env) {}

void McpSession::initialize() {
  request("initialize", {{"protocolVersion", "2025-11-25"},
                         {"capabilities", json::object()},
                         {"clientInfo", {{"name", "backburner-bench"}, {"version", "1"}}}});
  child_.send(json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}.dump());
}

json McpSession::request(const std::string& method, const json& params, milliseconds timeout) {
  const std::int64_t id = next_id_++;
  json req = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) req["params"] = params;
  last_request_ = req.dump();
  child_.send(last_request_);
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) throw std::runtime_error(method + ": no answer from the shim in time");
    json msg = json::parse(child_.read_line(left), nullptr, false);
    if (msg.is_discarded()) throw std::runtime_error(method + ": the shim wrote a non-JSON line");
    if (!msg.contains("id") || msg["id"] != id) continue;  // a notification, or not ours
    if (auto e = msg.find("error"); e != msg.end())
      throw std::runtime_error(method + ": " + e->dump());
    return msg.value("result", json());
  }
}

json McpSession::tool(const std::string& name, const json& arguments, milliseconds timeout) {
  json r = request("tools/call", {{"name", name}, {"arguments", arguments}}, timeout);
  if (r.value("isError", false)) throw std::runtime_error(name + ": " + r.dump());
  return r.value("structuredContent", json());
}

std::vector<double> sleep_rss_kib(int samples) {
  std::vector<double> out;
  for (int i = 0; i < samples; ++i) {
    pid_t p = spawn({"sleep", "30"});
    // Wait until it has exec'd (its RSS is the sleep's, not the spawning copy's).
    for (int k = 0; k < 200; ++k) {
      std::ifstream comm("/proc/" + std::to_string(p) + "/comm");
      std::string name;
      std::getline(comm, name);
      if (name == "sleep") break;
      std::this_thread::sleep_for(milliseconds(1));
    }
    std::this_thread::sleep_for(milliseconds(20));
    if (auto r = rss_kib(p)) out.push_back(static_cast<double>(*r));
    ::kill(p, SIGKILL);
    reap(p);
  }
  return out;
}

}  // namespace bench
