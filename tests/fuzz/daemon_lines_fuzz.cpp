// The daemon's side of a connection: bytes as a client sends them, cut into arbitrary reads,
// through the connection's line framing (rpc_connection.h) and the dispatcher (JSON-RPC
// validation, hello, every method) to a real task manager on an in-memory store, with a fake
// keeper launcher and process watcher (nothing is started).
// Input: one byte choosing the size of each read (1..256), then the bytes.
// Invariants: every line the daemon writes back is one JSON-RPC 2.0 object (a response with an
// id or null, or an event notification); the daemon never crashes or throws.
// fuzz-link: bb_daemon
#include <filesystem>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "command_policy.h"
#include "event_hub.h"
#include "fuzz_check.h"
#include "retention.h"
#include "rpc_connection.h"
#include "rpc_dispatcher.h"
#include "task_output.h"
#include "task_store.h"
#include "worker_pool.h"

namespace {

using nlohmann::json;

class NoLauncher final : public bb::KeeperLauncher {
 public:
  std::variant<bb::ProcessIdentity, std::string> launch(const bb::KeeperSpec&,
                                                        Running on_running) override {
    on_running(std::nullopt);
    return bb::ProcessIdentity{++pid_, 1};
  }

 private:
  std::int64_t pid_ = 100000;
};

class NoWatcher final : public bb::ProcessWatcher {
 public:
  Watch watch(const bb::ProcessIdentity&, OnExit) override { return Watch::gone; }
  bool request_cancel(const bb::ProcessIdentity&) override { return false; }
  bool request_stdin_close(const bb::ProcessIdentity&) override { return false; }
  void kill_orphaned_group(const bb::ProcessIdentity&) override {}
  bool alive(const bb::ProcessIdentity&) override { return false; }
  Lock keeper_lock(const std::filesystem::path&) override { return Lock::absent; }
};

class NoOutputWatcher final : public bb::OutputWatcher {
 public:
  bool watch(const std::string&, const std::filesystem::path&, std::function<void()>) override {
    return false;
  }
  void unwatch(const std::string&) override {}
};

// Replays the input as reads of the chosen size; collects what the daemon writes.
class ScriptStream final : public bb::ByteStream {
 public:
  ScriptStream(boost::asio::io_context& io, std::string_view input, std::size_t step)
      : io_(io), input_(input), step_(step) {}
  void async_read_some(char* data, std::size_t size, Handler handler) override {
    const std::size_t n = std::min({size, step_, input_.size() - pos_});
    std::copy_n(input_.data() + pos_, n, data);
    pos_ += n;
    boost::asio::post(io_, [handler = std::move(handler), n] {
      handler(n == 0 ? boost::asio::error::eof : boost::system::error_code(), n);
    });
  }
  void async_write(const char* data, std::size_t size, Handler handler) override {
    written.append(data, size);
    boost::asio::post(io_, [handler = std::move(handler), size] { handler({}, size); });
  }
  bool is_open() const override { return open_; }
  void close() override { open_ = false; }
  boost::asio::any_io_executor executor() override { return io_.get_executor(); }
  std::string written;

 private:
  boost::asio::io_context& io_;
  std::string_view input_;
  std::size_t step_;
  std::size_t pos_ = 0;
  bool open_ = true;
};

struct Daemon {
  Daemon()
      : home(std::filesystem::temp_directory_path() /
             ("bb-fuzz-" + std::to_string(::getpid()))),
        store(":memory:") {
    std::filesystem::create_directories(home / "tasks");
    paths.home = home;
    paths.tasks_dir = home / "tasks";
    paths.db = ":memory:";
    tasks = std::make_unique<bb::TaskManager>(io, store, launcher, watcher, paths,
                                              bb::TaskManagerOptions{});
    events = std::make_unique<bb::EventHub>(io, *tasks, output_watcher);
    retention = std::make_unique<bb::Retention>(io, *tasks, bb::RetentionSettings{});
    tasks->add_listener(events.get());
    workers = std::make_unique<bb::WorkerPool>(io, 1);
    output = std::make_unique<bb::OutputService>(io, *tasks, *workers);
    dispatcher = std::make_unique<bb::RpcDispatcher>(bb::DaemonServices{
        *tasks, *workers, *output, *events, *retention, policy,
        [] { return bb::proto::DaemonInfo{}; }, [] {}});
  }
  ~Daemon() {
    std::error_code ec;
    std::filesystem::remove_all(home, ec);
  }
  boost::asio::io_context io{1};
  std::filesystem::path home;
  bb::StatePaths paths;
  bb::TaskStore store;
  NoLauncher launcher;
  NoWatcher watcher;
  NoOutputWatcher output_watcher;
  bb::CommandPolicy policy;
  std::unique_ptr<bb::TaskManager> tasks;
  std::unique_ptr<bb::EventHub> events;
  std::unique_ptr<bb::Retention> retention;
  std::unique_ptr<bb::WorkerPool> workers;
  std::unique_ptr<bb::OutputService> output;
  std::unique_ptr<bb::RpcDispatcher> dispatcher;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  static Daemon d;
  if (size < 1) return 0;
  const std::size_t step = 1 + data[0] % 256;
  const std::string_view input = bb::fuzz::as_text(data + 1, size - 1);
  auto stream = std::make_unique<ScriptStream>(d.io, input, step);
  ScriptStream* s = stream.get();
  auto registry = std::make_shared<bb::Connection::Registry>();
  auto conn = std::make_shared<bb::Connection>(std::move(stream), *d.dispatcher, registry);
  conn->start();
  // Bounded: the input is finite and each turn consumes some of it; the worker pool's jobs are
  // waited for by running until nothing is left to do, at most this many rounds.
  for (int round = 0; round < 50 && !d.io.stopped(); ++round) {
    d.io.restart();
    d.io.run_for(std::chrono::milliseconds(20));
    if (registry->empty() && d.workers->queued() == 0) break;
  }
  const std::string written = s->written;
  conn->close();
  conn.reset();
  d.io.restart();
  d.io.poll();
  std::string_view rest = written;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    BB_FUZZ_CHECK(nl != std::string_view::npos);  // every line is whole
    const json m = json::parse(rest.substr(0, nl), nullptr, false);
    BB_FUZZ_CHECK(m.is_object());
    BB_FUZZ_CHECK(m.value("jsonrpc", "") == "2.0");
    BB_FUZZ_CHECK(m.contains("id") || m.value("method", "") == "event");
    BB_FUZZ_CHECK(!m.contains("id") || m.contains("result") || m.contains("error"));
    rest.remove_prefix(nl + 1);
  }
  return 0;
}
