#pragma once

#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "loadtest/ControlSchedule.h"
#include "loadtest/LoadStats.h"
#include "loadtest/Scenario.h"
#include "loadtest/SimulatedParticipant.h"
#include "loadtest/TalkSchedule.h"
#include "loadtest/client/ClientAddressRange.h"
#include "loadtest/client/ImpairmentRelay.h"
#include "loadtest/client/InProcessImpairment.h"
#include "loadtest/client/MultiAddressUdpSocket.h"
#include "server/transport/DtlsCertificate.h"

namespace myriad::loadtest {

// The participants one thread of a load test drives, on one io_context:
// joins at the scenario's pace, all their datagrams through one
// MultiAddressUdpSocket (one recvmmsg/sendmmsg per batch), media on a 1 ms tick (each sender at its
// own phase of its packet interval, so sends spread evenly), upkeep every
// 250 ms, and at the end leaving. Everything runs on the thread that calls
// Run(); Finish() and Abort() may be called from any thread.
class LoadShard {
 public:
  struct Config {
    std::string host;
    uint16_t port = 0;
    std::shared_ptr<const server::transport::DtlsCertificate> certificate;
    int64_t startUs = 0;  // the first join, schedule offset 0
    bool recordDetail = false;
    // How long leaving may take at the end before the shard just stops.
    int64_t leaveTimeoutUs = 5'000'000;
    // Scenario::control's plan (nullptr: no control traffic).
    const ControlSchedule* control = nullptr;
    // Which shard this is (seeds its impairment relays).
    uint32_t shardIndex = 0;
    // The server's media candidate may be outside loopback (a benchmark's
    // network namespace; LoadRun::Options::allowNetnsTarget).
    bool allowNonLoopbackMedia = false;
    // The shared socket's client addresses.
    ClientAddressRange clientAddresses = ClientAddressRange::Loopback();
  };

  // Counters for the progress line, published by the shard every 250 ms.
  struct Progress {
    std::atomic<uint64_t> joinsAttempted{0};
    std::atomic<uint64_t> joinsSettled{0};
    std::atomic<uint64_t> joinsCompleted{0};
    std::atomic<uint64_t> joinsFailed{0};
    std::atomic<uint64_t> transportsConnected{0};
    std::atomic<uint64_t> packetsSent{0};
    std::atomic<uint64_t> packetsNotSent{0};
    std::atomic<uint64_t> packetsReceived{0};
    std::atomic<int64_t> recentMaxLatencyUs{0};
    std::atomic<bool> finished{false};
  };

  LoadShard(const Scenario& scenario, const TalkSchedule& schedule, Config config,
            const std::vector<uint32_t>& participantIndices);
  ~LoadShard();
  LoadShard(const LoadShard&) = delete;
  LoadShard& operator=(const LoadShard&) = delete;

  // Runs until Finish() has let everyone leave (or Abort()).
  void Run();
  // Stops the media, takes the final counts and leaves the rooms.
  void Finish();
  // Stops at once.
  void Abort();

  const Progress& GetProgress() const { return progress_; }
  // After Run() returned.
  const LoadStats& Stats() const { return stats_; }
  std::vector<std::unique_ptr<SimulatedParticipant>>& Participants() { return participants_; }
  // Scenario::impairment: the shard's paths' counters (its relays' or its
  // in-process paths'), summed (after Run()).
  ImpairmentRelay::Counters ImpairmentCounters() const;

 private:
  void ScheduleTick();
  void OnTick();
  void PublishProgress();
  void DoFinish();
  void OnLeft();
  void Stop();
  // The relay towards `serverCandidate`, opened on first use (nullptr if
  // it cannot be).
  ImpairmentRelay* RelayFor(const ImpairmentRelay::Endpoint& serverCandidate);

  boost::asio::io_context context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  const Scenario& scenario_;
  Config config_;
  LoadStats stats_;
  std::array<uint8_t, 1600> packetBuffer_{};
  // Every participant's datagrams, batched (outlives the participants).
  std::unique_ptr<MultiAddressUdpSocket> socket_;
  // Scenario::impairment: one per server media port (outlive the participants).
  std::vector<std::unique_ptr<ImpairmentRelay>> relays_;
  // Or Scenario::Impairment::Path::kInProcess (outlives the participants).
  std::unique_ptr<InProcessImpairment> inProcess_;
  SimulatedParticipant::Environment environment_;
  std::vector<std::unique_ptr<SimulatedParticipant>> participants_;
  std::vector<int64_t> joinAtUs_;  // parallel to participants_
  size_t nextJoin_ = 0;
  boost::asio::steady_timer tickTimer_;
  boost::asio::steady_timer leaveTimer_;
  int64_t nextTickUs_ = 0;
  int64_t nextHousekeepingUs_ = 0;
  bool finishing_ = false;
  bool stopped_ = false;
  size_t leavesPending_ = 0;
  Progress progress_;
};

}  // namespace myriad::loadtest
