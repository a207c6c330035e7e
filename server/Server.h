#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/ServerConfig.h"
#include "server/Worker.h"
#include "server/http/HttpServer.h"
#include "server/transport/DtlsCertificate.h"
#include "signaling/AccessPolicy.h"

namespace myriad::server {

// The whole process: N media workers, the signalling thread with the HTTP
// and WebSocket listener, and the DTLS certificate they share.
class Server {
 public:
  explicit Server(const config::ServerConfig& config);
  ~Server();

  // Binds every socket; false with a one-line error (port in use...).
  bool Start(std::string* error);
  // Runs the signalling io_context on the calling thread until Stop().
  void Run();
  // Thread-safe and blocking: readiness goes false, no new connections are
  // accepted, every participant is told `left` with reason
  // "server_shutdown", and Run() returns once their connections have
  // flushed (or after kShutdownFlushTimeout).
  void Stop();
  // Thread-safe, returns at once (SIGTERM): readiness goes false for good, joins are refused
  // (`server_draining`), every participant gets the `drain` message, and Stop() follows as soon
  // as every room is empty or drain.grace_period_s has passed. With a grace period of 0, or
  // called a second time, it is Stop().
  void Drain();
  bool Draining() const { return draining_; }
  // How often a drain checks whether the rooms are empty.
  static constexpr auto kDrainPollInterval = std::chrono::milliseconds(50);
  static constexpr auto kShutdownFlushTimeout = std::chrono::seconds(3);

  uint16_t HttpPort() const { return http_ ? http_->Port() : 0; }
  std::vector<uint16_t> MediaPorts() const;
  const config::ServerConfig& Config() const { return config_; }

 private:
  // Signalling thread: runs `step` now and then every `interval` until it returns true (the
  // shutdown flush and the drain wait for a condition this way).
  void RepeatUntilDone(std::chrono::milliseconds interval, std::function<bool()> step);

  config::ServerConfig config_;
  // Read by every SignalingDelegate on the signalling thread; never changes after construction.
  signaling::AccessPolicy access_;
  std::unique_ptr<transport::DtlsCertificate> certificate_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Worker*> workerPointers_;
  boost::asio::io_context signalingContext_;
  std::unique_ptr<http::HttpServer> http_;
  bool started_ = false;
  std::atomic<bool> stopping_{false};
  // Read by every SignalingDelegate (join admission) on the signalling thread.
  std::atomic<bool> draining_{false};
};

}  // namespace myriad::server
