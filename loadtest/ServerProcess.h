#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace myriad::loadtest {

// A Myriad server started by the load generator (--spawn-server): the
// binary on a free loopback HTTP port with ephemeral media ports, the
// scenario's room limits as MYRIAD_ROOMS_* variables (config/README.md),
// ready once /healthz answers 200, stopped with SIGTERM.
class ServerProcess {
 public:
  struct Options {
    std::string binary;
    // Extra MYRIAD_* variables; they win over the ones set here.
    std::map<std::string, std::string> environment;
    std::chrono::milliseconds startTimeout{15000};
    // The server's stdout/stderr go here ("" = our stderr).
    std::string logPath;
  };

  ServerProcess() = default;
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool Start(const Options& options, std::string* error);
  // SIGTERM, then SIGKILL if it has not exited within `grace`.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

  pid_t Pid() const { return pid_; }
  uint16_t HttpPort() const { return httpPort_; }

  // GET http://host:port/healthz answered 200 within `timeout`.
  static bool CheckHealth(const std::string& host, uint16_t port, std::chrono::milliseconds timeout,
                          std::string* error);

 private:
  pid_t pid_ = -1;
  uint16_t httpPort_ = 0;
};

}  // namespace myriad::loadtest
