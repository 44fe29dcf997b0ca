#include "process_launch_win.h"

// Boost.Process v2 with std::filesystem (the cross build has no Boost.Filesystem); in 1.81 that
// needs these two first.
#include <boost/optional.hpp>
#include <boost/type_traits.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/windows/default_launcher.hpp>

#include <algorithm>

#include "win_text_win.h"

namespace bb::win {

namespace bp = boost::process::v2;
using boost::system::error_code;

namespace {

// Standard handles, the inheritance whitelist and the environment.
class Inheritance {
 public:
  Inheritance(const LaunchSpec& spec) : spec_(spec) {}
  Inheritance(const Inheritance&) = delete;
  ~Inheritance() {
    if (attributes_) ::DeleteProcThreadAttributeList(attributes_);
  }

  error_code on_setup(bp::windows::default_launcher& l, const std::filesystem::path&,
                      std::wstring&) {
    HANDLE in = spec_.std_in, out = spec_.std_out, err = spec_.std_err;
    if (in == nullptr) in = (null_in_ = open_null(false)).get();
    if (out == nullptr || err == nullptr) null_out_ = open_null(true);
    if (out == nullptr) out = null_out_.get();
    if (err == nullptr) err = null_out_.get();
    for (HANDLE h : {in, out, err}) {
      if (!Handle::valid(h)) continue;
      ::SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
      if (std::find(list_.begin(), list_.end(), h) == list_.end()) list_.push_back(h);
    }
    l.startup_info.StartupInfo.dwFlags |= STARTF_USESTDHANDLES;
    l.startup_info.StartupInfo.hStdInput = in;
    l.startup_info.StartupInfo.hStdOutput = out;
    l.startup_info.StartupInfo.hStdError = err;
    l.inherit_handles = true;
    SIZE_T size = 0;
    ::InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
    buffer_.resize(size);
    attributes_ = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(buffer_.data());
    if (!::InitializeProcThreadAttributeList(attributes_, 1, 0, &size) ||
        !::UpdateProcThreadAttribute(attributes_, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
                                     list_.data(), list_.size() * sizeof(HANDLE), nullptr,
                                     nullptr)) {
      const error_code ec(static_cast<int>(::GetLastError()), boost::system::system_category());
      if (attributes_) ::DeleteProcThreadAttributeList(attributes_);
      attributes_ = nullptr;
      return ec;
    }
    l.startup_info.lpAttributeList = attributes_;
    if (spec_.environment) {
      env_ = environment_block(*spec_.environment);
      l.environment = env_.data();
      l.creation_flags |= CREATE_UNICODE_ENVIRONMENT;
    }
    if (!spec_.cwd.empty()) l.current_directory = spec_.cwd;
    l.creation_flags |= spec_.creation_flags;
    return {};
  }

 private:
  const LaunchSpec& spec_;
  Handle null_in_, null_out_;
  std::vector<HANDLE> list_;
  std::vector<unsigned char> buffer_;
  LPPROC_THREAD_ATTRIBUTE_LIST attributes_ = nullptr;
  std::vector<wchar_t> env_;
};

// Starts the child suspended, puts it in the job, resumes it (unless asked not to), and keeps
// a handle of its own to the process: Process v2's is closed with its process object.
class JobAndHandles {
 public:
  JobAndHandles(const LaunchSpec& spec, Launched& out) : spec_(spec), out_(out) {}

  error_code on_setup(bp::windows::default_launcher& l, const std::filesystem::path&,
                      std::wstring&) {
    l.creation_flags |= CREATE_SUSPENDED;
    return {};
  }

  void on_success(bp::windows::default_launcher& l, const std::filesystem::path&,
                  std::wstring&) {
    const PROCESS_INFORMATION& pi = l.process_information;
    out_.pid = pi.dwProcessId;
    HANDLE dup = nullptr;
    ::DuplicateHandle(::GetCurrentProcess(), pi.hProcess, ::GetCurrentProcess(), &dup, 0, FALSE,
                      DUPLICATE_SAME_ACCESS);
    out_.process.reset(dup);
    if (spec_.job != nullptr && !::AssignProcessToJobObject(spec_.job, pi.hProcess)) {
      error = "cannot put the process in its job: " + last_error_text();
      ::TerminateProcess(pi.hProcess, 1);
      return;
    }
    if (spec_.keep_suspended) {
      HANDLE t = nullptr;
      ::DuplicateHandle(::GetCurrentProcess(), pi.hThread, ::GetCurrentProcess(), &t, 0, FALSE,
                        DUPLICATE_SAME_ACCESS);
      out_.thread.reset(t);
    } else {
      ::ResumeThread(pi.hThread);
    }
  }

  std::string error;

 private:
  const LaunchSpec& spec_;
  Launched& out_;
};

}  // namespace

Handle open_null(bool for_writing) {
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
  return Handle(::CreateFileW(L"NUL", for_writing ? GENERIC_WRITE : GENERIC_READ,
                              FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, nullptr));
}

std::wstring command_line(const std::vector<std::string>& argv) {
  std::wstring out;
  for (const auto& a : argv) {
    if (!out.empty()) out += L' ';
    out += quote_argument(widen(a));
  }
  return out;
}

std::variant<Launched, std::string> launch(const LaunchSpec& spec) {
  // Only an executor is needed: nothing here waits asynchronously.
  boost::asio::io_context io;
  Launched out;
  const std::string what = spec.program.empty() ? narrow(spec.command_line) : spec.program.string();
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool breakaway = spec.breakaway && attempt == 0;
    LaunchSpec s = spec;
    if (breakaway) s.creation_flags |= CREATE_BREAKAWAY_FROM_JOB;
    Inheritance inherit(s);
    JobAndHandles job(s, out);
    error_code ec;
    // The command line goes as it is (a wchar_t string is not re-quoted by the launcher).
    auto process = bp::windows::default_launcher()(io.get_executor(), ec, s.program,
                                                   s.command_line.c_str(), inherit, job);
    if (ec) {
      if (breakaway && ec.value() == ERROR_ACCESS_DENIED) {
        out.note = "this process's job does not allow breaking away from it, so the new "
                   "process stays in that job";
        continue;
      }
      return "cannot run " + what + ": " + error_text(static_cast<DWORD>(ec.value()));
    }
    // Ours to manage from here: the launcher's object must not terminate it when destroyed.
    process.detach();
    if (!job.error.empty()) return job.error;
    return out;
  }
  return "cannot run " + what;
}

}  // namespace bb::win
