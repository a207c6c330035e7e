#include "server/Server.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "server/Logging.h"
#include "server/Metrics.h"
#include "server/SignalingDelegate.h"
#include "signaling/WebSocketSession.h"

namespace myriad::server {

Server::Server(const config::ServerConfig& config)
    : config_(config.Resolved()),
      access_(signaling::AccessKeys(config_.auth.keys.begin(), config_.auth.keys.end()),
              config_.auth.development),
      signalingContext_(1) {}

Server::~Server() {
  for (auto& worker : workers_) worker->Stop();
}

bool Server::Start(std::string* error) {
  certificate_ = transport::DtlsCertificate::Generate();
  if (!certificate_) {
    *error = "cannot generate the DTLS certificate";
    return false;
  }
  const unsigned count = std::max(1u, config_.media.workers);
  for (unsigned i = 0; i < count; ++i) {
    auto worker = std::make_unique<Worker>(i, config_, *certificate_);
    if (!worker->Bind(error)) return false;
    workerPointers_.push_back(worker.get());
    workers_.push_back(std::move(worker));
  }
  http_ = std::make_unique<http::HttpServer>(
      signalingContext_,
      http::HttpServer::Options{config_.http.listenAddress, config_.http.port,
                                config_.http.webRoot},
      [this](std::shared_ptr<signaling::SignalingPeer> peer) {
        return std::make_unique<SignalingDelegate>(workerPointers_, access_, draining_,
                                                   std::move(peer));
      });
  if (!http_->Listen(error)) return false;
  for (auto& worker : workers_) worker->Start();
  http_->Start();
  http_->SetReady(true);
  // Process-wide gauges: a server that starts is not draining (tests run several in turn).
  Metrics::Instance().draining().Set(0);
  Metrics::Instance().drain_deadline().Set(0);
  started_ = true;
  if (access_.DevelopmentMode()) {
    Logging::Get("auth")->warn(
        "DEVELOPMENT MODE: {}; joins without a token are admitted and anyone can mint tokens with "
        "the well-known development key (id \"{}\"). Configure auth.keys and leave "
        "auth.development false in production.",
        config_.auth.keys.empty() ? "no auth.keys configured" : "auth.development is true",
        signaling::AccessPolicy::kDevelopmentKeyId);
  }
  std::string ports;
  for (const auto port : MediaPorts()) ports += (ports.empty() ? "" : ",") + std::to_string(port);
  Logging::Get("server")->info(
      "myriad listening: http://{}:{}/ (WebSocket /rtc), media UDP {} port(s) {}, announced {}",
      config_.http.listenAddress, http_->Port(), config_.media.listenAddress, ports,
      config_.media.announcedAddress);
  return true;
}

void Server::Run() {
  auto guard = boost::asio::make_work_guard(signalingContext_);
  signalingContext_.run();
}

void Server::Stop() {
  if (stopping_.exchange(true)) return;
  if (!started_) {
    signalingContext_.stop();
    return;
  }
  boost::asio::post(signalingContext_, [this] {
    http_->SetReady(false);
    http_->Stop();
  });
  // Rooms live on their workers: ask each to close its rooms and wait.
  for (Worker* worker : workerPointers_) {
    std::promise<void> done;
    worker->Post([worker, &done] {
      worker->CloseAllRooms("server_shutdown");
      done.set_value();
    });
    done.get_future().wait();
  }
  // The `left` messages are queued on the signalling thread; let the
  // WebSocket sessions flush and close before stopping it.
  const auto deadline = std::chrono::steady_clock::now() + kShutdownFlushTimeout;
  boost::asio::post(signalingContext_, [this, deadline] {
    RepeatUntilDone(std::chrono::milliseconds(20), [this, deadline] {
      if (signaling::WebSocketSession::LiveSessions() > 0 &&
          std::chrono::steady_clock::now() < deadline) {
        return false;
      }
      signalingContext_.stop();
      return true;
    });
  });
}

namespace {

// One RepeatUntilDone loop: the pending wait's handler owns it, so it ends
// with its last step and nothing refers to itself.
struct Repetition {
  Repetition(boost::asio::io_context& context, std::chrono::milliseconds interval,
             std::function<bool()> step)
      : timer(context), interval(interval), step(std::move(step)) {}
  boost::asio::steady_timer timer;
  std::chrono::milliseconds interval;
  std::function<bool()> step;
};

void RunRepetition(const std::shared_ptr<Repetition>& repetition) {
  if (repetition->step()) return;
  repetition->timer.expires_after(repetition->interval);
  repetition->timer.async_wait(
      [repetition](const boost::system::error_code&) { RunRepetition(repetition); });
}

}  // namespace

void Server::RepeatUntilDone(std::chrono::milliseconds interval, std::function<bool()> step) {
  RunRepetition(std::make_shared<Repetition>(signalingContext_, interval, std::move(step)));
}

void Server::Drain() {
  if (!started_ || config_.drain.gracePeriodS == 0 || draining_.exchange(true)) {
    Stop();
    return;
  }
  const auto grace = std::chrono::seconds(config_.drain.gracePeriodS);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  Metrics::Instance().draining().Set(1);
  Metrics::Instance().drain_deadline().Set(
      static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                              (std::chrono::system_clock::now() + grace).time_since_epoch())
                              .count()));

  // docs/protocol.md "Drain": built once, the same text for every participant.
  nlohmann::json notice{{"type", "drain"},
                        {"reason", "server_shutdown"},
                        {"deadlineMs", std::chrono::milliseconds(grace).count()}};
  if (!config_.drain.redirectUrl.empty()) notice["url"] = config_.drain.redirectUrl;
  auto text = std::make_shared<const std::string>(notice.dump());
  for (Worker* worker : workerPointers_) {
    worker->Post([worker, text] {
      const size_t told = worker->DrainAllRooms(text);
      Metrics::Instance().drain_notices().Increment(static_cast<double>(told));
    });
  }
  Logging::Get("server")->info(
      "draining: joins refused, clients told to move; exiting once the rooms are empty or in {} s "
      "(signal again to stop at once)",
      config_.drain.gracePeriodS);

  boost::asio::post(signalingContext_, [this, deadline] {
    http_->SetDraining();
    RepeatUntilDone(kDrainPollInterval, [this, deadline] {
      if (stopping_) return true;  // a second signal stopped it already
      size_t rooms = 0;
      for (const Worker* worker : workerPointers_) rooms += worker->OpenRooms();
      const bool expired = std::chrono::steady_clock::now() >= deadline;
      if (rooms > 0 && !expired) return false;
      if (rooms == 0) {
        Logging::Get("server")->info("drained: every room is empty");
      } else {
        Logging::Get("server")->warn("drain grace period over: closing {} room(s)", rooms);
      }
      Stop();
      return true;
    });
  });
}

std::vector<uint16_t> Server::MediaPorts() const {
  std::vector<uint16_t> ports;
  for (const auto& worker : workers_) ports.push_back(worker->MediaPort());
  return ports;
}

}  // namespace myriad::server
