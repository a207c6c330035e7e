#include "loadtest/ServerProcess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdio>
#include <thread>
#include <vector>

#include "loadtest/client/HttpGet.h"

extern char** environ;

namespace myriad::loadtest {

namespace asio = boost::asio;

namespace {

uint16_t FreeLoopbackTcpPort() {
  asio::io_context context;
  boost::system::error_code ec;
  asio::ip::tcp::acceptor acceptor(context);
  acceptor.open(asio::ip::tcp::v4(), ec);
  if (!ec) acceptor.bind({asio::ip::make_address("127.0.0.1"), 0}, ec);
  if (ec) return 0;
  return acceptor.local_endpoint(ec).port();
}

}  // namespace

ServerProcess::~ServerProcess() { Stop(); }

bool ServerProcess::CheckHealth(const std::string& host, uint16_t port,
                                std::chrono::milliseconds timeout, std::string* error) {
  std::string failure;
  if (!HttpGet::Fetch(host, port, "/healthz", timeout, &failure)) {
    failure = "/healthz: " + failure;
  }
  if (error) *error = failure;
  return failure.empty();
}

bool ServerProcess::Start(const Options& options, std::string* error) {
  if (::access(options.binary.c_str(), X_OK) != 0) {
    *error = "cannot execute the server binary \"" + options.binary + "\"";
    return false;
  }
  httpPort_ = FreeLoopbackTcpPort();
  if (httpPort_ == 0) {
    *error = "no free loopback TCP port for the server";
    return false;
  }
  std::map<std::string, std::string> environment{
      {"MYRIAD_HTTP_LISTEN_ADDRESS", "127.0.0.1"},
      {"MYRIAD_HTTP_PORT", std::to_string(httpPort_)},
      {"MYRIAD_MEDIA_LISTEN_ADDRESS", "127.0.0.1"},
      {"MYRIAD_MEDIA_PORT_BASE", "0"},
      {"MYRIAD_LOG_LEVEL", "warn"},
      // Stop() is the end of a run: close the rooms at once rather than drain them.
      {"MYRIAD_DRAIN_GRACE_PERIOD_S", "0"},
  };
  for (const auto& [name, value] : options.environment) environment[name] = value;
  // Everything the child needs is prepared before fork (no allocation
  // between fork and exec in a multi-threaded parent).
  std::vector<std::string> assignments;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string current = *entry;
    const std::string name = current.substr(0, current.find('='));
    if (!environment.count(name)) assignments.push_back(current);
  }
  for (const auto& [name, value] : environment) assignments.push_back(name + "=" + value);
  std::vector<char*> envp;
  envp.reserve(assignments.size() + 1);
  for (auto& assignment : assignments) envp.push_back(assignment.data());
  envp.push_back(nullptr);
  std::vector<char*> argv{const_cast<char*>(options.binary.c_str()), nullptr};
  const int logFd =
      options.logPath.empty()
          ? -1
          : ::open(options.logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (!options.logPath.empty() && logFd < 0) {
    *error = "cannot write the server log \"" + options.logPath + "\"";
    return false;
  }
  pid_ = ::fork();
  if (pid_ < 0) {
    *error = "fork failed";
    if (logFd >= 0) ::close(logFd);
    return false;
  }
  if (pid_ == 0) {
    // The server's log must not mix with our report on stdout.
    ::dup2(logFd >= 0 ? logFd : STDERR_FILENO, STDOUT_FILENO);
    if (logFd >= 0) ::dup2(logFd, STDERR_FILENO);
    ::execve(options.binary.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  if (logFd >= 0) ::close(logFd);
  const auto deadline = std::chrono::steady_clock::now() + options.startTimeout;
  std::string lastError;
  while (std::chrono::steady_clock::now() < deadline) {
    if (CheckHealth("127.0.0.1", httpPort_, std::chrono::milliseconds(500), &lastError)) {
      return true;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *error = "the server exited during start-up (status " +
               std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
               "; see its output above)";
      return false;
    }
    // Polling a starting process: nothing to wait on but time.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *error = "the server did not answer /healthz within " +
           std::to_string(options.startTimeout.count()) + " ms (" + lastError + ")";
  Stop();
  return false;
}

void ServerProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace myriad::loadtest
