#include "loadtest/LoadShard.h"

#include <boost/asio/post.hpp>

#include "loadtest/SteadyMicros.h"

namespace myriad::loadtest {

namespace asio = boost::asio;

namespace {

constexpr int64_t kTickUs = 1000;
constexpr int64_t kHousekeepingUs = 250'000;

asio::steady_timer::time_point AtSteadyMicros(int64_t us) {
  return asio::steady_timer::time_point(std::chrono::microseconds(us));
}

// The shared socket absorbs a busy room's bursts for every client of the
// shard while the thread works (the kernel caps it at net.core.rmem_max
// unless we may force it).
constexpr int kSharedReceiveBufferBytes = 32 * 1024 * 1024;

// Scenario::impairment's link, one direction, before the per-path mixing.
LinkImpairment::Options ScenarioLink(const Scenario::Impairment& impairment, uint64_t seed) {
  LinkImpairment::Options link;
  link.delay = std::chrono::milliseconds(impairment.oneWayDelayMs);
  link.loss = GilbertElliottLoss::Independent(impairment.lossPercent / 100.0);
  link.seed = seed;
  return link;
}
// Datagrams in flight per direction of a shard's relay: 200 subscribers of
// three audio slots at 30 ms one way hold about 900 on the downlink; a full
// line drops (counted), so leave room for a thousand participants' audio.
constexpr size_t kRelayLineCapacity = 8192;

}  // namespace

LoadShard::LoadShard(const Scenario& scenario, const TalkSchedule& schedule, Config config,
                     const std::vector<uint32_t>& participantIndices)
    : work_(asio::make_work_guard(context_)),
      scenario_(scenario),
      config_(std::move(config)),
      environment_{context_,
                   scenario,
                   schedule,
                   stats_,
                   config_.host,
                   config_.port,
                   config_.certificate,
                   config_.startUs,
                   config_.recordDetail,
                   packetBuffer_},
      tickTimer_(context_),
      leaveTimer_(context_) {
  // One socket for the shard: a thousand clients then cost a system call
  // per batch, not per packet. Should the kernel refuse IP_PKTINFO, each
  // client opens its own socket instead (slower, same behaviour).
  socket_ = std::make_unique<MultiAddressUdpSocket>(context_, kSharedReceiveBufferBytes,
                                                    config_.clientAddresses);
  std::string error;
  if (socket_->Open(&error)) {
    environment_.socket = socket_.get();
  } else {
    stats_.AddError("shared socket: " + error);
    socket_.reset();
  }
  environment_.control = config_.control;
  if (scenario.impairment.Enabled()) {
    if (scenario.impairment.ThroughRelay(config_.allowNonLoopbackMedia &&
                                         config_.clientAddresses.IsLoopback())) {
      environment_.relayFor = [this](const ImpairmentRelay::Endpoint& candidate) {
        return RelayFor(candidate);
      };
    } else {
      InProcessImpairment::Options options;
      options.path.uplink = ScenarioLink(scenario.impairment, uint64_t{scenario.impairment.seed});
      options.path.downlink = options.path.uplink;
      options.lineCapacity = kRelayLineCapacity;
      inProcess_ = std::make_unique<InProcessImpairment>(context_, options);
      environment_.inProcessImpairment = inProcess_.get();
    }
  }
  if (config_.control) {
    // Room for every audio packet of the run twice over, so the receive
    // path does not allocate.
    const auto packets = static_cast<size_t>(scenario.durationSeconds * 50 * 2);
    stats_.PrepareHeardAudio(scenario.participants, packets);
  }
  for (const uint32_t index : participantIndices) {
    participants_.push_back(std::make_unique<SimulatedParticipant>(environment_, index));
    // Joins are paced over the whole run by participant index, so shards
    // on different threads interleave them without talking to each other.
    joinAtUs_.push_back(config_.startUs + static_cast<int64_t>(static_cast<double>(index) * 1e6 /
                                                               scenario.joinRatePerSecond));
  }
}

LoadShard::~LoadShard() {
  // Clients close their sockets before the io_context goes.
  for (auto& participant : participants_) participant->Close();
}

void LoadShard::Run() {
  nextTickUs_ = config_.startUs;
  nextHousekeepingUs_ = config_.startUs;
  ScheduleTick();
  context_.run();
  PublishProgress();
  progress_.finished = true;
}

void LoadShard::ScheduleTick() {
  tickTimer_.expires_at(AtSteadyMicros(nextTickUs_));
  tickTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopped_) OnTick();
  });
}

void LoadShard::OnTick() {
  const int64_t now = SteadyMicros();
  while (nextJoin_ < participants_.size() && joinAtUs_[nextJoin_] <= now && !finishing_) {
    participants_[nextJoin_++]->StartJoin(now);
  }
  if (!finishing_) {
    for (auto& participant : participants_) participant->SendDue(now);
  }
  if (now >= nextHousekeepingUs_) {
    for (auto& participant : participants_) participant->Housekeeping(now);
    PublishProgress();
    nextHousekeepingUs_ = now + kHousekeepingUs;
  }
  // A late tick does not queue catch-up ticks: senders catch up themselves.
  nextTickUs_ = std::max(nextTickUs_ + kTickUs, now + kTickUs / 2);
  ScheduleTick();
}

void LoadShard::PublishProgress() {
  uint64_t settled = 0;
  for (const auto& participant : participants_) settled += participant->JoinSettled() ? 1 : 0;
  progress_.joinsAttempted = stats_.joinsAttempted;
  progress_.joinsSettled = settled;
  progress_.joinsCompleted = stats_.joinsCompleted;
  progress_.joinsFailed = stats_.joinsFailed;
  progress_.transportsConnected = stats_.transportsConnected;
  progress_.packetsSent = stats_.audioSent + stats_.videoSent;
  progress_.packetsNotSent = stats_.notSent;
  progress_.packetsReceived = stats_.audioReceived + stats_.videoReceived;
  progress_.recentMaxLatencyUs = stats_.recentMaxLatencyUs;
  stats_.recentMaxLatencyUs = 0;
}

void LoadShard::Finish() {
  asio::post(context_, [this] { DoFinish(); });
}

void LoadShard::Abort() {
  asio::post(context_, [this] { Stop(); });
  // If the thread is stuck in a handler, stop() still ends run() after it.
  context_.stop();
}

void LoadShard::DoFinish() {
  if (finishing_) return;
  finishing_ = true;
  const int64_t now = SteadyMicros();
  for (auto& participant : participants_) participant->Finish(now);
  PublishProgress();
  // One extra count until every Leave was started: a participant that never
  // joined answers at once.
  leavesPending_ = 1;
  for (auto& participant : participants_) {
    ++leavesPending_;
    participant->Leave([this] { OnLeft(); });
  }
  OnLeft();
  if (leavesPending_ == 0 || stopped_) return;
  leaveTimer_.expires_at(AtSteadyMicros(now + config_.leaveTimeoutUs));
  leaveTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Stop();
  });
}

void LoadShard::OnLeft() {
  // Stop() destroys the clients: never inside one of their callbacks.
  if (--leavesPending_ == 0) asio::post(context_, [this] { Stop(); });
}

void LoadShard::Stop() {
  if (stopped_) return;
  stopped_ = true;
  tickTimer_.cancel();
  leaveTimer_.cancel();
  for (auto& participant : participants_) participant->Close();
  for (auto& relay : relays_) relay->Close();
  work_.reset();
  context_.stop();
}

ImpairmentRelay* LoadShard::RelayFor(const ImpairmentRelay::Endpoint& serverCandidate) {
  for (auto& relay : relays_) {
    if (relay->Target() == serverCandidate) return relay.get();
  }
  const auto& impairment = scenario_.impairment;
  ImpairmentRelay::Options options;
  options.target = serverCandidate;
  // The relay mixes in the direction and the mapping; shards and relays
  // differ here.
  const LinkImpairment::Options link =
      ScenarioLink(impairment, uint64_t{impairment.seed} * 1'000'003ULL +
                                   config_.shardIndex * 131ULL + relays_.size());
  options.path.uplink = link;
  options.path.downlink = link;
  options.lineCapacity = kRelayLineCapacity;
  options.allowNonLoopbackTarget = config_.allowNonLoopbackMedia;
  auto relay = std::make_unique<ImpairmentRelay>(context_, options);
  std::string error;
  if (!relay->Open(&error)) {
    stats_.AddError("impairment relay: " + error);
    return nullptr;
  }
  relays_.push_back(std::move(relay));
  return relays_.back().get();
}

ImpairmentRelay::Counters LoadShard::ImpairmentCounters() const {
  ImpairmentRelay::Counters total;
  if (inProcess_) total = inProcess_->GetCounters();
  for (const auto& relay : relays_) {
    const auto counters = relay->GetCounters();
    total.uplink += counters.uplink;
    total.downlink += counters.downlink;
    total.mappings += counters.mappings;
    total.mappingsRefused += counters.mappingsRefused;
  }
  return total;
}

}  // namespace myriad::loadtest
