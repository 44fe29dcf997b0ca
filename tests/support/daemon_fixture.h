// A real backburnerd in a temp state dir, for end-to-end tests. Every process the test's tasks
// start carries a unique tag in its environment, so teardown can find and kill all of them,
// whoever their parent is by then.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "paths.h"
#include "rpc_client.h"
#include "test_process.h"

namespace bb::test {

using DaemonEnv = std::map<std::string, std::string>;

class DaemonFixture {
 public:
  // `extra_env`: more NAME=value for the daemon (e.g. BACKBURNER_DENY).
  explicit DaemonFixture(std::map<std::string, std::string> extra_env = {});
  ~DaemonFixture();
  DaemonFixture(const DaemonFixture&) = delete;
  DaemonFixture& operator=(const DaemonFixture&) = delete;

  // Starts backburnerd --foreground and waits (bounded) until it answers hello.
  void start();
  // Starts a daemon and returns its exit status without waiting for readiness (for refusals);
  // `wait_exit` bounds how long to wait for it to exit.
  int run_daemon_expecting_exit(const std::vector<std::string>& args,
                                std::chrono::milliseconds wait_exit, std::string* stderr_out);
  // SIGTERM, then reap (bounded). Returns the daemon's exit status (-1 if it died by a signal,
  // which is how a sanitizer or a crash shows).
  int stop();
  void kill9();    // SIGKILL, then reap
  bool running() const { return pid_ > 0; }
  std::int64_t pid() const { return pid_; }

  // A connected client that has said hello (with an optional client policy).
  RpcClient client(const proto::Policy& policy = {});
  // One call on a fresh client; throws with the error if the daemon reports one.
  nlohmann::json call(const std::string& method, const nlohmann::json& params);
  // One call; the error (if any) is returned instead of thrown.
  CallOutcome try_call(const std::string& method, const nlohmann::json& params);

  // task.start with this test's environment (tagged) and cwd = the temp dir.
  nlohmann::json start_task(const std::string& command,
                            std::optional<double> timeout_seconds = std::nullopt);
  // task.wait on one task (bounded); returns the task object.
  nlohmann::json wait_task(const std::string& id, double timeout_seconds = 30);

  const std::filesystem::path& home() const { return home_.path(); }
  std::filesystem::path socket() const;
  std::filesystem::path task_dir(const std::string& id) const;
  std::map<std::string, std::string> task_env() const;  // what start_task sends
  std::map<std::string, std::string> daemon_env() const;
  const std::string& tag() const { return tag_; }

 private:
  std::vector<std::string> env_block(const std::map<std::string, std::string>& env) const;

  TempDir home_;
  std::string tag_;
  std::map<std::string, std::string> extra_env_;
  std::unique_ptr<TestProcess> process_;
  std::int64_t pid_ = -1;
  std::filesystem::path stderr_file_;
};

// Polls `pred` every few ms until it holds or `deadline` passes; returns whether it held.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    sleep_ms(5);
  }
  return pred();
}

}  // namespace bb::test
