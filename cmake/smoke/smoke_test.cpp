// The Windows toolchain canary (see CMakeLists.txt). Runs as a GoogleTest program; started with
// `--pipe-server NAME` it is instead the server side of the named pipe test.
#include <windows.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

std::wstring widen(const std::string& s) { return std::wstring(s.begin(), s.end()); }

std::wstring pipe_path(const std::string& name) { return L"\\\\.\\pipe\\" + widen(name); }

// Server: one overlapped pipe instance; echoes each line upper-cased until the client leaves.
int run_pipe_server(const std::string& name) {
  HANDLE h = ::CreateNamedPipeW(pipe_path(name).c_str(),
                                PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED |
                                    FILE_FLAG_FIRST_PIPE_INSTANCE,
                                PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 1, 4096, 4096, 0,
                                nullptr);
  if (h == INVALID_HANDLE_VALUE) return 10;
  asio::io_context io;
  asio::windows::stream_handle pipe(io, h);

  int result = 20;
  asio::streambuf buf;
  std::function<void()> read_line = [&] {
    asio::async_read_until(pipe, buf, '\n', [&](error_code ec, std::size_t n) {
      // A peer that closed its end shows up as broken_pipe (as on Windows), not eof.
      if (ec == asio::error::broken_pipe || ec == asio::error::eof) {
        result = 0;
        return;
      }
      if (ec) {
        result = 21;
        return;
      }
      std::string line(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n);
      buf.consume(n);
      for (char& c : line) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      auto reply = std::make_shared<std::string>(std::move(line));
      asio::async_write(pipe, asio::buffer(*reply), [&, reply](error_code wec, std::size_t) {
        if (wec) {
          result = 22;
          return;
        }
        read_line();
      });
    });
  };

  asio::windows::overlapped_ptr connect(io, [&](error_code ec, std::size_t) {
    if (ec) {
      result = 11;
      return;
    }
    read_line();
  });
  if (::ConnectNamedPipe(h, connect.get())) {
    connect.complete(error_code(), 0);
  } else if (DWORD err = ::GetLastError(); err == ERROR_IO_PENDING) {
    connect.release();
  } else if (err == ERROR_PIPE_CONNECTED) {
    connect.complete(error_code(), 0);
  } else {
    connect.complete(error_code(static_cast<int>(err), asio::error::get_system_category()), 0);
  }
  io.run();
  return result;
}

std::wstring self_path() {
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    DWORD n = ::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
    if (n < path.size()) {
      path.resize(n);
      return path;
    }
    path.resize(path.size() * 2);
  }
}

TEST(Toolchain, AsioEchoesOverAnOverlappedNamedPipeBetweenTwoProcesses) {
  const std::string name = "backburner-smoke-" + std::to_string(::GetCurrentProcessId());
  std::wstring cmd = L"\"" + self_path() + L"\" --pipe-server " + widen(name);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  PROCESS_INFORMATION pi{};
  ASSERT_TRUE(::CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr,
                               &si, &pi))
      << ::GetLastError();
  ::CloseHandle(pi.hThread);

  asio::io_context io;
  asio::windows::object_handle server(io, pi.hProcess);

  HANDLE h = INVALID_HANDLE_VALUE;
  for (int i = 0; i < 500 && h == INVALID_HANDLE_VALUE; ++i) {
    h = ::CreateFileW(pipe_path(name).c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                      OPEN_EXISTING, FILE_FLAG_OVERLAPPED, nullptr);
    if (h == INVALID_HANDLE_VALUE) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(h, INVALID_HANDLE_VALUE) << "the server never created " << name;
  auto pipe = std::make_unique<asio::windows::stream_handle>(io, h);

  std::string request = "hello over a pipe\n", reply;
  asio::streambuf buf;
  error_code read_ec, wait_ec = asio::error::timed_out;
  asio::steady_timer guard(io, std::chrono::seconds(20));
  asio::async_write(*pipe, asio::buffer(request), [&](error_code ec, std::size_t) {
    ASSERT_FALSE(ec) << ec.message();
    asio::async_read_until(*pipe, buf, '\n', [&](error_code ec2, std::size_t n) {
      read_ec = ec2;
      reply.assign(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n);
      // Leaving ends the server's loop.
      pipe.reset();
      server.async_wait([&](error_code wec) {
        wait_ec = wec;
        guard.cancel();
      });
    });
  });
  guard.async_wait([&](error_code ec) {
    if (!ec) io.stop();
  });
  io.run();

  EXPECT_FALSE(read_ec) << read_ec.message();
  EXPECT_EQ(reply, "HELLO OVER A PIPE\n");
  EXPECT_FALSE(wait_ec) << wait_ec.message();
  DWORD code = 99;
  ASSERT_TRUE(::GetExitCodeProcess(server.native_handle(), &code));
  EXPECT_EQ(code, 0u) << "the pipe server failed";
}

TEST(Toolchain, AsioCancelsAPendingPipeReadWithATimer) {
  const std::wstring path =
      pipe_path("backburner-smoke-cancel-" + std::to_string(::GetCurrentProcessId()));
  HANDLE srv = ::CreateNamedPipeW(path.c_str(), PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
                                  PIPE_TYPE_BYTE, 1, 4096, 4096, 0, nullptr);
  ASSERT_NE(srv, INVALID_HANDLE_VALUE);
  HANDLE cli = ::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                             FILE_FLAG_OVERLAPPED, nullptr);
  ASSERT_NE(cli, INVALID_HANDLE_VALUE);
  asio::io_context io;
  asio::windows::stream_handle server(io, srv), client(io, cli);
  char byte;
  error_code ec;
  client.async_read_some(asio::buffer(&byte, 1), [&](error_code e, std::size_t) { ec = e; });
  asio::steady_timer timer(io, std::chrono::milliseconds(50));
  timer.async_wait([&](error_code) { client.cancel(); });
  io.run_for(std::chrono::seconds(10));
  EXPECT_EQ(ec, asio::error::operation_aborted);
}

TEST(Toolchain, SqliteCppOpensInsertsAndSelectsInWalMode) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("backburner-smoke-" + std::to_string(::GetCurrentProcessId()) + ".db");
  std::filesystem::remove(path);
  {
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    EXPECT_EQ(db.execAndGet("PRAGMA journal_mode=WAL").getString(), "wal");
    db.exec("CREATE TABLE task (id TEXT PRIMARY KEY, command TEXT NOT NULL)");
    SQLite::Statement insert(db, "INSERT INTO task VALUES (?, ?)");
    insert.bind(1, "t1");
    insert.bind(2, "echo h\xc3\xa9llo");
    EXPECT_EQ(insert.exec(), 1);
    SQLite::Statement select(db, "SELECT command FROM task WHERE id = ?");
    select.bind(1, "t1");
    ASSERT_TRUE(select.executeStep());
    EXPECT_EQ(select.getColumn(0).getString(), "echo h\xc3\xa9llo");
  }
  std::error_code ec;
  std::filesystem::remove(path, ec);
  std::filesystem::remove(path.string() + "-wal", ec);
  std::filesystem::remove(path.string() + "-shm", ec);
}

TEST(Toolchain, Re2MatchesAndCaptures) {
  EXPECT_TRUE(RE2::PartialMatch("git push --force origin", "(?i)PUSH\\s+--force"));
  std::string verb;
  int n = 0;
  EXPECT_TRUE(RE2::FullMatch("sleep 42", "(\\w+) (\\d+)", &verb, &n));
  EXPECT_EQ(verb, "sleep");
  EXPECT_EQ(n, 42);
  RE2 bad("(unclosed", RE2::Quiet);
  EXPECT_FALSE(bad.ok());
}

TEST(Toolchain, NlohmannJsonRoundTrips) {
  auto j = nlohmann::json::parse(R"({"jsonrpc":"2.0","id":7,"params":{"command":"echo \u00e9"}})");
  EXPECT_EQ(j["id"].get<int>(), 7);
  EXPECT_EQ(j["params"]["command"].get<std::string>(), "echo \xc3\xa9");
  EXPECT_EQ(nlohmann::json::parse(j.dump()), j);
}

TEST(Toolchain, GMockMatchersAndStdThreadWork) {
  std::mutex m;
  std::vector<int> seen;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      std::lock_guard lock(m);
      seen.push_back(i);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_THAT(seen, testing::UnorderedElementsAre(0, 1, 2, 3));
  EXPECT_THAT(std::string("backburner on windows"), testing::HasSubstr("windows"));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--pipe-server") return run_pipe_server(argv[2]);
  testing::InitGoogleMock(&argc, argv);
  return RUN_ALL_TESTS();
}
