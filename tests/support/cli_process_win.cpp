// The CLI harness on Windows: stdout and stderr on anonymous pipes, each drained by a thread of
// its own into the result (Windows has no poll for pipes). No pseudo-terminal. A process started
// with BB_TEST_TAG in its environment goes into that tag's job (test_process_win.cpp), so that
// kill_tagged_processes also ends a daemon the CLI started.
#include "cli_process.h"

#include <windows.h>

#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "process_launch_win.h"
#include "utf8_path.h"
#include "win_handle_win.h"
#include "win_text_win.h"

namespace bb::test {

HANDLE tag_job(const std::string& tag);  // test_process_win.cpp

const char* foreign_service_os() { return "linux"; }

bool terminal_supported() { return false; }

std::string test_child_command(const std::string& args) {
  return shell_quote(path_utf8(test_child())) + " " + args;
}

std::filesystem::path write_recording_program(const std::filesystem::path& dir,
                                              const std::string& name,
                                              const std::filesystem::path& record) {
  const auto path = dir / utf8_path(name + ".cmd");
  // %1 arrives quoted as it was given; the test child prints it unquoted, ending with "\n".
  std::ofstream(path, std::ios::binary)
      << "@echo off\r\n"
      << test_child_command("args %1") << " > " << shell_quote(path_utf8(record)) << "\r\n";
  return path;
}

struct CliProcess::Impl {
  win::Handle process;
  DWORD pid = 0;
  mutable std::mutex mutex;
  CliResult result;
  std::thread out_reader, err_reader;
  bool done = false;

  void drain(win::Handle pipe, std::string CliResult::*into) {
    char buf[8192];
    for (;;) {
      DWORD n = 0;
      if (!::ReadFile(pipe.get(), buf, sizeof buf, &n, nullptr) || n == 0) return;
      std::lock_guard lock(mutex);
      (result.*into).append(buf, n);
    }
  }
  void join() {
    if (out_reader.joinable()) out_reader.join();
    if (err_reader.joinable()) err_reader.join();
  }
};

CliProcess::CliProcess(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env, CliOptions options)
    : impl_(std::make_unique<Impl>()) {
  if (options.terminal) throw std::runtime_error("no pseudo-terminal on Windows");
  std::vector<std::string> argv = {path_utf8(bin_dir() / "backburner.exe")};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, FALSE};
  HANDLE out_r = nullptr, out_w = nullptr, err_r = nullptr, err_w = nullptr;
  if (!::CreatePipe(&out_r, &out_w, &sa, 0) || !::CreatePipe(&err_r, &err_w, &sa, 0))
    throw std::runtime_error("pipe failed");
  win::Handle out_read(out_r), out_write(out_w), err_read(err_r), err_write(err_w);
  win::LaunchSpec spec;
  spec.program = bin_dir() / "backburner.exe";
  spec.command_line = win::command_line(argv);
  spec.environment = env_s;
  spec.cwd = options.cwd;
  spec.std_out = out_write.get();
  spec.std_err = err_write.get();
  spec.creation_flags = CREATE_NO_WINDOW;
  if (auto tag = env.find("BB_TEST_TAG"); tag != env.end()) spec.job = tag_job(tag->second);
  auto launched = win::launch(spec);
  if (auto* e = std::get_if<std::string>(&launched))
    throw std::runtime_error("cannot run backburner: " + *e);
  auto& l = std::get<win::Launched>(launched);
  impl_->process = std::move(l.process);
  impl_->pid = l.pid;
  out_write.reset();
  err_write.reset();
  impl_->out_reader = std::thread(&Impl::drain, impl_.get(), std::move(out_read), &CliResult::out);
  impl_->err_reader = std::thread(&Impl::drain, impl_.get(), std::move(err_read), &CliResult::err);
}

CliProcess::~CliProcess() {
  if (!impl_->done) {
    ::TerminateProcess(impl_->process.get(), 1);
    ::WaitForSingleObject(impl_->process.get(), 10000);
  }
  impl_->join();
}

bool CliProcess::read_until(const std::string& needle, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    {
      std::lock_guard lock(impl_->mutex);
      if (impl_->result.out.find(needle) != std::string::npos) return true;
    }
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

CliResult CliProcess::finish(std::chrono::milliseconds deadline) {
  Impl& i = *impl_;
  if (::WaitForSingleObject(i.process.get(), static_cast<DWORD>(deadline.count())) !=
      WAIT_OBJECT_0) {
    ::TerminateProcess(i.process.get(), 1);
    ::WaitForSingleObject(i.process.get(), 10000);
    i.done = true;
    i.join();
    std::lock_guard lock(i.mutex);
    i.result.timed_out = true;
    i.result.status = -1;
    return i.result;
  }
  i.done = true;
  i.join();  // the pipes close with the process (nothing else holds their write ends)
  DWORD code = 0;
  ::GetExitCodeProcess(i.process.get(), &code);
  std::lock_guard lock(i.mutex);
  i.result.status = static_cast<int>(code);
  return i.result;
}

const CliResult& CliProcess::so_far() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->result;
}

std::int64_t CliProcess::pid() const { return impl_->done ? -1 : impl_->pid; }

}  // namespace bb::test
