#pragma once

// Test helper: a whole Myriad server (HTTP/WebSocket signalling and two media
// workers on ephemeral loopback ports) running in the test process.

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/ServerConfig.h"
#include "loadtest/client/MetricsScraper.h"
#include "server/Logging.h"
#include "server/Server.h"

namespace myriad::integration {

class InProcessServer {
 public:
  // `configure` adjusts the test configuration (room limits, batching)
  // before the server starts.
  explicit InProcessServer(const std::function<void(config::ServerConfig&)>& configure = {}) {
    // Quiet by default; MYRIAD_TEST_LOG=debug shows the server's view.
    const char* level = std::getenv("MYRIAD_TEST_LOG");
    server::Logging::Initialize(level ? level : "warn");
    // Test servers run in development mode on purpose (no keys): its loud startup warning,
    // printed by every one of them, would bury the tests' own output.
    if (!level) server::Logging::Get("auth")->set_level(spdlog::level::err);
    config::ServerConfig config;
    config.http.listenAddress = "127.0.0.1";
    config.http.port = 0;
    config.media.listenAddress = "127.0.0.1";
    config.media.portBase = 0;
    config.media.workers = 2;
    if (configure) configure(config);
    server_ = std::make_unique<server::Server>(config);
    std::string error;
    INFO(error);
    REQUIRE(server_->Start(&error));
    thread_ = std::thread([this] {
      server_->Run();
      finished_ = true;
    });
  }

  ~InProcessServer() {
    server_->Stop();
    thread_.join();
  }

  InProcessServer(const InProcessServer&) = delete;
  InProcessServer& operator=(const InProcessServer&) = delete;

  uint16_t HttpPort() const { return server_->HttpPort(); }
  // SIGTERM's path (Server::Drain); Finished() once Run() has returned.
  void Drain() { server_->Drain(); }
  bool Finished() const { return finished_; }
  std::vector<uint16_t> MediaPorts() const { return server_->MediaPorts(); }

  // What an operator's scraper sees at /metrics.
  loadtest::MetricsScraper::Samples Metrics() const {
    std::string error;
    auto samples =
        loadtest::MetricsScraper::Fetch("127.0.0.1", HttpPort(), std::chrono::seconds(5), &error);
    INFO(error);
    REQUIRE(samples.has_value());
    return *samples;
  }

 private:
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
};

}  // namespace myriad::integration
