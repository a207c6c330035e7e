#include "loadtest/LoadRun.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <thread>

#include "loadtest/ControlOneWayDelays.h"
#include "loadtest/LoadShard.h"
#include "loadtest/ProcessSampler.h"
#include "loadtest/ServerProcess.h"
#include "loadtest/SteadyMicros.h"
#include "loadtest/UnmuteOvertaking.h"

namespace myriad::loadtest {
namespace {

constexpr int64_t kSecondUs = 1'000'000;
// A talk spurt must last this long, and the run must go on this long after
// it starts, for a subscriber to be expected to hear it.
constexpr int64_t kMinObservableSpurtUs = 1'000'000;

std::string Rate(double perSecond) {
  char text[32];
  if (perSecond >= 1000) {
    std::snprintf(text, sizeof(text), "%.1fk", perSecond / 1000);
  } else {
    std::snprintf(text, sizeof(text), "%.0f", perSecond);
  }
  return text;
}

// Whether `address` is the far end of one of this host's point-to-point
// interfaces (IFF_POINTOPOINT, e.g. a TUN device configured with
// `ip addr add A peer B`): a server there is on this machine's own link,
// in a namespace a benchmark made, not someone else's.
bool IsPointToPointPeer(const boost::asio::ip::address_v4& address) {
  ifaddrs* interfaces = nullptr;
  if (::getifaddrs(&interfaces) != 0) return false;
  bool found = false;
  for (const ifaddrs* i = interfaces; i != nullptr && !found; i = i->ifa_next) {
    if ((i->ifa_flags & IFF_POINTOPOINT) == 0 || (i->ifa_flags & IFF_UP) == 0) continue;
    const sockaddr* peer = i->ifa_ifu.ifu_dstaddr;
    if (peer == nullptr || peer->sa_family != AF_INET) continue;
    sockaddr_in peer4{};
    std::memcpy(&peer4, peer, sizeof(peer4));
    found = ntohl(peer4.sin_addr.s_addr) == address.to_uint();
  }
  ::freeifaddrs(interfaces);
  return found;
}

}  // namespace

LoadRun::LoadRun(Options options) : options_(std::move(options)) {}

LoadRun::~LoadRun() = default;

std::optional<ServerHistogram> LoadRun::ScrapeServerDelay() const {
  std::string error;
  const auto samples =
      MetricsScraper::Fetch(options_.host, options_.port, std::chrono::milliseconds(2000), &error);
  if (!samples) return std::nullopt;
  return ServerHistogram::FromSamples(*samples, "myriad_datagram_processing_delay_seconds");
}

std::string LoadRun::CheckTarget(const std::string& host, bool allowNetnsTarget) {
  if (host == "localhost") return "";
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return "the target \"" + host + "\" is not an IP address";
  if (address.is_v4() && (address.to_v4().to_uint() >> 24) == 127) return "";
  if (allowNetnsTarget) {
    if (address.is_v4() && IsPointToPointPeer(address.to_v4())) return "";
    return "refusing to load-test " + host +
           ": with --allow-netns-target the target must be loopback or the peer address of a "
           "point-to-point interface of this host (a link to a network namespace)";
  }
  return "refusing to load-test " + host +
         ": only loopback targets (127.0.0.0/8) are allowed; this tool floods its target";
}

std::optional<uint32_t> LoadRun::IndexOf(const std::string& participantId) const {
  const auto it = indexById_.find(participantId);
  if (it == indexById_.end()) return std::nullopt;
  return it->second;
}

void LoadRun::PrintProgress(double elapsedSeconds, double serverCores, double generatorCores) {
  uint64_t attempted = 0, completed = 0, failed = 0, connected = 0, sent = 0, received = 0,
           behind = 0;
  int64_t maxLatency = 0;
  for (const auto& shard : shards_) {
    const auto& p = shard->GetProgress();
    attempted += p.joinsAttempted;
    completed += p.joinsCompleted;
    failed += p.joinsFailed;
    connected += p.transportsConnected;
    sent += p.packetsSent;
    behind += p.packetsNotSent;
    received += p.packetsReceived;
    maxLatency = std::max<int64_t>(maxLatency, p.recentMaxLatencyUs);
  }
  const double dt = std::max(elapsedSeconds - progressElapsed_, 1e-3);
  char line[512];
  std::snprintf(line, sizeof(line),
                "[%6.1fs] joins %llu/%u ok %llu failed %llu connected %llu | sent %s/s recv %s/s "
                "behind %s/s | max latency %.1f ms | server %s cores | generator %.2f cores\n",
                elapsedSeconds, static_cast<unsigned long long>(attempted),
                options_.scenario.participants, static_cast<unsigned long long>(completed),
                static_cast<unsigned long long>(failed), static_cast<unsigned long long>(connected),
                Rate(static_cast<double>(sent - progressSent_) / dt).c_str(),
                Rate(static_cast<double>(received - progressReceived_) / dt).c_str(),
                Rate(static_cast<double>(behind - progressBehind_) / dt).c_str(),
                static_cast<double>(maxLatency) / 1000.0,
                serverCores < 0 ? "?" : std::to_string(serverCores).substr(0, 4).c_str(),
                generatorCores);
  *options_.progress << line << std::flush;
  progressSent_ = sent;
  progressReceived_ = received;
  progressBehind_ = behind;
  progressElapsed_ = elapsedSeconds;
}

RunReport LoadRun::Run() {
  const Scenario& s = options_.scenario;
  RunReport report;
  report.scenario = s.name;
  report.seed = s.seed;
  report.participants = s.participants;
  report.rooms = s.rooms;
  report.durationSeconds = s.durationSeconds;

  if (const std::string invalid = s.Validate(); !invalid.empty()) {
    report.failure = "invalid scenario: " + invalid;
    return report;
  }
  if (const std::string refused = CheckTarget(options_.host, options_.allowNetnsTarget);
      !refused.empty()) {
    report.failure = refused;
    return report;
  }
  if (!CheckTarget(options_.host).empty() && !s.impairment.Enabled() &&
      options_.clientAddresses.IsLoopback()) {
    // Loopback client addresses cannot leave the loopback device; only the
    // relays' sockets (or a routable client network) reach a namespace.
    report.failure =
        "a target outside 127.0.0.0/8 needs an impairment (the relays carry the media) or a "
        "client network";
    return report;
  }
  if (const std::string notLocal = options_.clientAddresses.CheckLocal(); !notLocal.empty()) {
    report.failure = "client network: " + notLocal;
    return report;
  }
  std::string error;
  if (!ServerProcess::CheckHealth(options_.host, options_.port, std::chrono::seconds(3), &error)) {
    report.failure = "server unreachable at " + options_.host + ":" +
                     std::to_string(options_.port) + ": " + error;
    return report;
  }
  // One certificate for every client: key generation is the costliest part
  // of a DTLS client and says nothing about the server.
  std::shared_ptr<const server::transport::DtlsCertificate> certificate =
      server::transport::DtlsCertificate::Generate();
  if (!certificate) {
    report.failure = "cannot generate a DTLS certificate";
    return report;
  }

  const auto durationUs = static_cast<int64_t>(s.durationSeconds * 1e6);
  TalkSchedule::Config talk;
  talk.publishers = s.AudioPublisherCount();
  talk.talkingShare = s.audio.talkingShare;
  talk.minSpurtUs = int64_t{s.audio.minSpurtMs} * 1000;
  talk.maxSpurtUs = int64_t{s.audio.maxSpurtMs} * 1000;
  talk.loudestLevel = static_cast<uint8_t>(-s.audio.loudestDbov);
  talk.quietestLevel = static_cast<uint8_t>(-s.audio.quietestDbov);
  talk.foregroundChannels = s.ForegroundTalkers();
  talk.backgroundGap = static_cast<uint8_t>(s.audio.backgroundGapDb);
  talk.durationUs = durationUs;
  talk.seed = s.seed;
  schedule_ = std::make_unique<TalkSchedule>(talk);
  if (s.control.Enabled()) {
    ControlSchedule::Config plan;
    plan.participants = s.participants;
    plan.audioPublishers = s.AudioPublisherCount();
    plan.hosts = s.control.hosts;
    plan.messages = s.control.messages;
    plan.ratePerSecond = s.control.ratePerSecond;
    plan.startUs = static_cast<int64_t>(s.control.startSeconds * 1e6);
    plan.holdUs = int64_t{s.control.holdMs} * 1000;
    plan.hostMuteWeight = s.control.hostMuteWeight;
    plan.selfMuteWeight = s.control.selfMuteWeight;
    plan.handWeight = s.control.handWeight;
    plan.seed = s.seed;
    control_ = std::make_unique<ControlSchedule>(plan, *schedule_);
    // Every request must have had time for its reply before the counts.
    if (control_->EndUs() + 2 * kSecondUs > durationUs) {
      report.failure = "the control plan needs " +
                       std::to_string((control_->EndUs() + 2 * kSecondUs) / kSecondUs + 1) +
                       " s of the run (control.startSeconds + messages / ratePerSecond + settling)"
                       ", durationSeconds is " +
                       std::to_string(static_cast<int>(s.durationSeconds));
      return report;
    }
  }

  const int pid = options_.serverPid;
  const bool measureServer = pid > 0 && ProcessSampler::CpuSeconds(pid).has_value();
  report.server.pid = pid;
  if (measureServer) report.server.rssKbBefore = ProcessSampler::RssKb(pid).value_or(0);

  const unsigned threads = std::clamp<unsigned>(options_.threads, 1, s.participants);
  startUs_ = SteadyMicros() + 200'000;
  LoadShard::Config config;
  config.host = options_.host;
  config.port = options_.port;
  config.certificate = certificate;
  config.startUs = startUs_;
  config.recordDetail = options_.recordDetail;
  config.control = control_.get();
  config.allowNonLoopbackMedia = options_.allowNetnsTarget;
  config.clientAddresses = options_.clientAddresses;
  for (unsigned t = 0; t < threads; ++t) {
    std::vector<uint32_t> indices;
    for (uint32_t i = t; i < s.participants; i += threads) indices.push_back(i);
    config.shardIndex = t;
    shards_.push_back(std::make_unique<LoadShard>(s, *schedule_, config, indices));
  }
  std::vector<std::thread> workers;
  for (auto& shard : shards_) workers.emplace_back([&shard] { shard->Run(); });

  const double selfCpuStart = ProcessSampler::SelfCpuSeconds();
  const double serverCpuStart = measureServer ? ProcessSampler::CpuSeconds(pid).value_or(0) : 0;
  const auto hardDeadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(s.EffectiveMaxRunSeconds() * 1000));
  const int64_t endUs = startUs_ + durationUs;
  int64_t nextProgressUs = startUs_ + kSecondUs;
  int64_t windowStartUs = 0;
  double serverCpuWindowStart = 0;
  std::optional<ServerHistogram> delayAtWindowStart;
  double lastServerCpu = serverCpuStart;
  double lastSelfCpu = selfCpuStart;
  int64_t lastSampleUs = SteadyMicros();
  bool serverGone = false;
  int64_t now = SteadyMicros();
  while (now < endUs) {
    // The control loop has nothing to wait on but the clock.
    std::this_thread::sleep_until(std::chrono::steady_clock::time_point(
        std::chrono::microseconds(std::min(nextProgressUs, endUs))));
    now = SteadyMicros();
    uint64_t settled = 0;
    for (const auto& shard : shards_) settled += shard->GetProgress().joinsSettled;
    std::optional<double> serverCpu;
    if (measureServer) {
      serverCpu = ProcessSampler::CpuSeconds(pid);
      if (!serverCpu) {
        serverGone = true;
        break;
      }
    }
    if (windowStartUs == 0 && settled >= s.participants) {
      windowStartUs = now;
      serverCpuWindowStart = serverCpu.value_or(0);
      delayAtWindowStart = ScrapeServerDelay();
    }
    if (now >= nextProgressUs) {
      const double dt = static_cast<double>(std::max<int64_t>(now - lastSampleUs, 1)) / 1e6;
      const double selfCpu = ProcessSampler::SelfCpuSeconds();
      if (options_.progress) {
        PrintProgress(static_cast<double>(now - startUs_) / 1e6,
                      serverCpu ? (*serverCpu - lastServerCpu) / dt : -1.0,
                      (selfCpu - lastSelfCpu) / dt);
      }
      lastServerCpu = serverCpu.value_or(0);
      lastSelfCpu = selfCpu;
      lastSampleUs = now;
      nextProgressUs += kSecondUs;
    }
  }
  endUs_ = now;
  const double selfCpuEnd = ProcessSampler::SelfCpuSeconds();
  if (delayAtWindowStart) {
    if (const auto delayAtEnd = ScrapeServerDelay()) {
      const ServerHistogram window = delayAtEnd->Minus(*delayAtWindowStart);
      report.serverDelay.count = window.Count();
      report.serverDelay.p50 = window.Quantile(0.5) * 1e3;
      report.serverDelay.p95 = window.Quantile(0.95) * 1e3;
      report.serverDelay.p99 = window.Quantile(0.99) * 1e3;
      report.serverDelay.max = window.Quantile(1.0) * 1e3;
      report.serverDelay.mean =
          window.Count() > 0 ? window.Sum() / static_cast<double>(window.Count()) * 1e3 : 0;
    }
  }
  if (measureServer && !serverGone) {
    const double serverCpuEnd = ProcessSampler::CpuSeconds(pid).value_or(0);
    report.server.measured = true;
    report.server.rssKbAfter = ProcessSampler::RssKb(pid).value_or(0);
    if (windowStartUs == 0) windowStartUs = endUs_;
    report.server.windowSeconds = static_cast<double>(endUs_ - windowStartUs) / 1e6;
    report.server.cpuSeconds = serverCpuEnd - serverCpuWindowStart;
    report.server.cpuCores = report.server.windowSeconds > 0
                                 ? report.server.cpuSeconds / report.server.windowSeconds
                                 : 0;
    report.server.wholeRunCpuCores =
        (serverCpuEnd - serverCpuStart) / (static_cast<double>(endUs_ - startUs_) / 1e6);
  }
  if (serverGone)
    report.failure = "the server process " + std::to_string(pid) + " exited during the run";

  for (auto& shard : shards_) shard->Finish();
  // Leaving is bounded by the shards (5 s); the hard limit covers the rest.
  bool aborted = false;
  for (size_t i = 0; i < shards_.size(); ++i) {
    while (!shards_[i]->GetProgress().finished) {
      if (std::chrono::steady_clock::now() >= hardDeadline && !aborted) {
        aborted = true;
        for (auto& shard : shards_) shard->Abort();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    workers[i].join();
  }
  if (aborted && report.failure.empty()) {
    report.failure = "the run hit its hard limit of " +
                     std::to_string(static_cast<int>(s.EffectiveMaxRunSeconds())) + " s";
  }
  report.elapsedSeconds = static_cast<double>(SteadyMicros() - startUs_) / 1e6;

  // Merge what the shards saw.
  LoadStats stats;
  observations_.assign(s.participants, ParticipantObservations{});
  std::vector<std::vector<SimulatedParticipant::SpurtArrival>> arrivals(s.participants);
  report.impairment.enabled = s.impairment.Enabled();
  report.impairment.path =
      s.impairment.ThroughRelay(options_.allowNetnsTarget && options_.clientAddresses.IsLoopback())
          ? "relay"
          : "in-process";
  report.impairment.oneWayDelayMs = s.impairment.oneWayDelayMs;
  report.impairment.lossPercent = s.impairment.lossPercent;
  for (auto& shard : shards_) {
    const auto relays = shard->ImpairmentCounters();
    auto& path = report.impairment;
    path.mappings += relays.mappings;
    path.uplinkForwarded += relays.uplink.forwarded;
    path.uplinkLost += relays.uplink.droppedRandomLoss + relays.uplink.droppedBurstLoss;
    path.downlinkForwarded += relays.downlink.forwarded;
    path.downlinkLost += relays.downlink.droppedRandomLoss + relays.downlink.droppedBurstLoss;
    path.otherDrops += relays.uplink.droppedQueueFull + relays.uplink.droppedLineFull +
                       relays.uplink.sendFailures + relays.downlink.droppedQueueFull +
                       relays.downlink.droppedLineFull + relays.downlink.sendFailures +
                       relays.mappingsRefused;
  }
  for (auto& shard : shards_) {
    stats.Merge(shard->Stats());
    for (auto& participant : shard->Participants()) {
      const uint32_t index = participant->Index();
      arrivals[index] = participant->SpurtArrivals();
      observations_[index] = participant->TakeObservations();
      if (!observations_[index].participantId.empty()) {
        indexById_[observations_[index].participantId] = index;
      }
    }
  }
  shards_.clear();
  for (auto& observation : observations_) {
    for (auto& message : observation.speakers) {
      for (const auto& id : message.participantIdBySlot) {
        message.publisherBySlot.push_back(id.empty() ? std::nullopt : IndexOf(id));
      }
    }
  }

  report.joins.attempted = stats.joinsAttempted;
  report.joins.completed = stats.joinsCompleted;
  report.joins.failed = stats.joinsFailed;
  report.joins.negotiationsFailed = stats.negotiationsFailed;
  report.joins.transportsConnected = stats.transportsConnected;
  report.joins.transportsFailed = stats.transportsFailed;
  report.joins.errors = stats.errors;
  report.joinTime = RunReport::Distribution::FromMicros(stats.joinTime);
  report.connectTime = RunReport::Distribution::FromMicros(stats.connectTime);
  report.packets.audioSent = stats.audioSent;
  report.packets.videoSent = stats.videoSent;
  report.packets.sent = stats.audioSent + stats.videoSent;
  report.packets.notSent = stats.notSent;
  report.packets.audioReceived = stats.audioReceived;
  report.packets.videoReceived = stats.videoReceived;
  report.packets.received = stats.audioReceived + stats.videoReceived;
  report.packets.lost = stats.lost;
  report.packets.foreign = stats.foreign;
  report.packets.unmatched = stats.unmatched;
  report.latency = RunReport::Distribution::FromMicros(stats.latency);
  report.audioLatency = RunReport::Distribution::FromMicros(stats.audioLatency);
  report.videoLatency = RunReport::Distribution::FromMicros(stats.videoLatency);
  report.firstAudio = RunReport::Distribution::FromMicros(stats.firstAudio);
  report.speakers.nonTalkerPackets = stats.nonTalkerPackets;
  report.speakers.silentPackets = stats.silentPackets;
  report.speakers.speakersMessages = stats.speakersMessages;
  for (const auto& observation : observations_) {
    if (observation.bindsAudioSlots && !observation.participantId.empty() &&
        observation.firstAudioUs == 0) {
      ++report.speakers.subscribersWithoutAudio;
    }
  }
  const SwitchAnalysis switches = AnalyseSwitches(arrivals);
  report.speakerSwitch = RunReport::Distribution::FromMicros(switches.latency);
  report.speakers.switchesExpected = switches.expected;
  report.speakers.switchesMissed = switches.missed;
  FillMessages(report);
  if (control_) AnalyseControl(stats.heardAudioSendTimes, report);

  report.generator.measured = true;
  report.generator.pid = static_cast<int>(::getpid());
  report.generator.cpuSeconds = selfCpuEnd - selfCpuStart;
  report.generator.windowSeconds = static_cast<double>(endUs_ - startUs_) / 1e6;
  report.generator.cpuCores = report.generator.windowSeconds > 0
                                  ? report.generator.cpuSeconds / report.generator.windowSeconds
                                  : 0;
  report.generator.wholeRunCpuCores = report.generator.cpuCores;
  report.generator.rssKbAfter = ProcessSampler::SelfPeakRssKb();
  if (report.server.measured && report.joins.completed > 0) {
    report.server.rssKbPerParticipant = (static_cast<double>(report.server.rssKbAfter) -
                                         static_cast<double>(report.server.rssKbBefore)) /
                                        static_cast<double>(report.joins.completed);
  }
  report.thresholds = s.thresholds.Evaluate(report);
  return report;
}

void LoadRun::FillMessages(RunReport& report) const {
  double sum = 0;
  double sumRate = 0;
  uint64_t joined = 0;
  for (const auto& observation : observations_) {
    if (observation.joinedUs == 0) continue;
    ++joined;
    const auto messages = static_cast<double>(observation.signallingMessages);
    // At least one second in the room, so a late joiner's reply does not
    // read as a burst.
    const double seconds = std::max(1.0, static_cast<double>(endUs_ - observation.joinedUs) / 1e6);
    report.messages.total += observation.signallingMessages;
    sum += messages;
    sumRate += messages / seconds;
    report.messages.maxPerParticipant = std::max(report.messages.maxPerParticipant, messages);
    report.messages.maxPerParticipantPerSecond =
        std::max(report.messages.maxPerParticipantPerSecond, messages / seconds);
  }
  if (joined == 0) return;
  report.messages.meanPerParticipant = sum / static_cast<double>(joined);
  report.messages.meanPerParticipantPerSecond = sumRate / static_cast<double>(joined);
}

void LoadRun::AnalyseControl(std::vector<std::vector<int64_t>>& heard, RunReport& report) const {
  using Kind = ControlSchedule::Kind;
  constexpr int64_t kWithinUs = 200'000;
  constexpr int64_t kHeardBeforeUs = 1'000'000;
  const Scenario& s = options_.scenario;
  auto& c = report.control;
  c.enabled = true;
  c.dataChannel = s.control.dataChannel;
  c.planned = control_->PlannedMessages();
  const size_t n = observations_.size();
  // Per owner (participant index): what hosts sent about its microphone,
  // its accepted mutes (request sent, ack handled) and its unmute requests.
  struct Mute {
    int64_t requestUs;
    int64_t ackUs;
  };
  std::vector<std::vector<int64_t>> hostMutes(n);
  std::vector<std::vector<int64_t>> unmuteRequests(n);
  std::vector<std::vector<Mute>> mutes(n);
  std::vector<std::vector<int64_t>> unmutes(n);
  std::vector<std::vector<int64_t>> selfMutes(n);
  // An owner's unmute refused as `mute_locked`: overtaken by a lock? (UnmuteOvertaking)
  struct RefusedUnmute {
    Kind kind;
    uint32_t owner;
    int64_t sentUs;
    int64_t replyUs;
  };
  std::vector<RefusedUnmute> refusedUnmutes;
  LatencyHistogram roundTrip;
  ControlOneWayDelays oneWay(kWithinUs);
  for (const auto& o : observations_) {
    if (o.controlChannelOpenUs != 0) ++c.channelsOpened;
    c.copiesSent += o.controlCopiesSent;
    c.duplicatesReceived += o.controlDuplicatesReceived;
    for (const auto& r : o.controlRequests) {
      const std::string name = ControlSchedule::NameOf(r.kind);
      if (r.sentUs == 0) {
        ++c.unsent;
        ++c.failures[name + ": " + r.error];
        continue;
      }
      ++c.sent;
      if (r.replyUs != 0) {
        ++c.delivered;
        roundTrip.Record(r.replyUs - r.sentUs);
        if (r.replyUs - r.sentUs <= kWithinUs) ++c.deliveredWithin200Ms;
        if (r.serverReceivedUs != 0 && r.serverRepliedUs != 0) {
          oneWay.Add(r.sentUs, r.serverReceivedUs, r.serverRepliedUs, r.replyUs);
        }
        if (r.acked) {
          ++c.acked;
        } else {
          ++c.failures[name + ": error " + r.error];
          if (r.error == "mute_locked" && r.target < n &&
              (r.kind == Kind::kSelfUnmute || r.kind == Kind::kAcceptUnmute)) {
            refusedUnmutes.push_back(RefusedUnmute{r.kind, r.target, r.sentUs, r.replyUs});
          }
        }
      } else {
        ++c.timedOut;
        ++c.failures[name + ": " + (r.error.empty() ? std::string("no reply") : r.error)];
      }
      if (r.target >= n) continue;
      switch (r.kind) {
        case Kind::kHostMute:
          if (r.acked) {
            hostMutes[r.target].push_back(r.sentUs);
            mutes[r.target].push_back(Mute{r.sentUs, r.replyUs});
          }
          break;
        case Kind::kRequestUnmute:
          if (r.acked) unmuteRequests[r.target].push_back(r.sentUs);
          break;
        case Kind::kSelfMute:
          if (r.acked) mutes[r.target].push_back(Mute{r.sentUs, r.replyUs});
          selfMutes[r.target].push_back(r.sentUs);
          break;
        case Kind::kSelfUnmute:
        case Kind::kAcceptUnmute:
          // The owner asked: packets from here on may flow again.
          unmutes[r.target].push_back(r.sentUs);
          break;
        default:
          break;
      }
    }
  }
  c.roundTrip = RunReport::Distribution::FromMicros(roundTrip);
  if (oneWay.SharedClock()) {
    c.oneWay = RunReport::Control::OneWay{
        oneWay.Samples(),
        oneWay.UplinkWithin(),
        oneWay.DownlinkWithin(),
        RunReport::Distribution::FromMicros(oneWay.Uplink()),
        RunReport::Distribution::FromMicros(oneWay.Downlink()),
        RunReport::Distribution::FromMicros(oneWay.AtServer()),
    };
  }

  for (const auto& refused : refusedUnmutes) {
    const UnmuteOvertaking::Microphone microphone{
        hostMutes[refused.owner], unmuteRequests[refused.owner], selfMutes[refused.owner]};
    if (UnmuteOvertaking::Overtaken(microphone, refused.kind == Kind::kAcceptUnmute, refused.sentUs,
                                    refused.replyUs)) {
      ++c.overtaken;
    }
  }

  // Each accepted host request to the first notice of its kind that
  // arrived after it was sent and is not taken yet.
  LatencyHistogram notification;
  const auto match = [&](std::vector<int64_t>& sent, std::vector<int64_t> arrivals) {
    std::sort(sent.begin(), sent.end());
    std::sort(arrivals.begin(), arrivals.end());
    size_t next = 0;
    for (const int64_t at : sent) {
      ++c.notificationsExpected;
      while (next < arrivals.size() && arrivals[next] < at) ++next;
      if (next == arrivals.size()) continue;
      ++c.notificationsDelivered;
      notification.Record(arrivals[next] - at);
      if (arrivals[next] - at <= kWithinUs) ++c.notificationsWithin200Ms;
      ++next;
    }
  };
  for (size_t p = 0; p < n; ++p) {
    std::vector<int64_t> mutedNotices;
    std::vector<int64_t> requestNotices;
    for (const auto& notice : observations_[p].controlNotices) {
      if (notice.unmuteRequest) {
        requestNotices.push_back(notice.arrivalUs);
      } else if (notice.muted && notice.locked && notice.by == "host") {
        mutedNotices.push_back(notice.arrivalUs);
      }
    }
    match(hostMutes[p], std::move(mutedNotices));
    match(unmuteRequests[p], std::move(requestNotices));
  }
  c.notification = RunReport::Distribution::FromMicros(notification);

  // The router's enforcement: from the ack on, until the owner asked to
  // unmute, no packet the owner sent may reach anyone. (A packet sent after
  // the ack reached the server after the mute held there; the owner's
  // unmute crosses the same FIFO path after the packets sent before it.)
  for (size_t p = 0; p < n && p < heard.size(); ++p) {
    auto& times = heard[p];
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
    std::sort(unmutes[p].begin(), unmutes[p].end());
    for (const Mute& mute : mutes[p]) {
      ++c.mutesAccepted;
      const auto unmute = std::upper_bound(unmutes[p].begin(), unmutes[p].end(), mute.requestUs);
      const int64_t until =
          unmute == unmutes[p].end() ? std::numeric_limits<int64_t>::max() : *unmute;
      const auto from = std::lower_bound(times.begin(), times.end(), mute.ackUs);
      if (until > mute.ackUs) {
        const auto to = std::lower_bound(from, times.end(), until);
        c.mutedPacketViolations += static_cast<uint64_t>(to - from);
      }
      const auto heardBefore = std::lower_bound(times.begin(), from, mute.ackUs - kHeardBeforeUs);
      if (heardBefore != from) ++c.mutesOfHeardTracks;
    }
  }
}

LoadRun::SwitchAnalysis LoadRun::AnalyseSwitches(
    const std::vector<std::vector<SimulatedParticipant::SpurtArrival>>& arrivals) const {
  const Scenario& s = options_.scenario;
  SwitchAnalysis analysis;
  // Which spurts each subscriber heard, by (publisher, spurt start).
  std::vector<std::map<std::pair<uint32_t, int64_t>, int64_t>> heard(arrivals.size());
  int maxSlots = 0;
  for (size_t i = 0; i < arrivals.size(); ++i) {
    for (const auto& arrival : arrivals[i]) {
      heard[i].emplace(std::make_pair(arrival.publisher, arrival.talkSpurtStartUs),
                       arrival.firstArrivalUs);
    }
    maxSlots = std::max(maxSlots, observations_[i].audioSlots);
  }
  const auto readyAt = [this](uint32_t publisher, int64_t at) {
    const int64_t started = observations_[publisher].mediaStartUs;
    return started != 0 && started <= at;
  };
  const auto room = [&s](uint32_t index) { return SimulatedParticipant::RoomOf(s, index); };
  for (const auto& spurt : schedule_->Spurts()) {
    const int64_t start = startUs_ + spurt.startUs;
    // Priority sources hold a slot anyway; a spurt too short or too close to
    // the end cannot be judged; and a spurt quieter than the K loudest plus
    // everyone who could be left out (self, priority) never qualifies.
    if (s.IsPriority(spurt.publisher) || spurt.endUs - spurt.startUs < kMinObservableSpurtUs ||
        start + kMinObservableSpurtUs > endUs_ || !readyAt(spurt.publisher, start) ||
        spurt.channel >= static_cast<uint32_t>(maxSlots) + s.audio.priorityPublishers + 1) {
      continue;
    }
    std::vector<uint32_t> louder;
    for (const auto& other : schedule_->TalkersAt(spurt.startUs)) {
      if (other.publisher == spurt.publisher) continue;
      const bool isLouder = other.level < spurt.level ||
                            (other.level == spurt.level && other.channel < spurt.channel);
      if (isLouder) louder.push_back(other.publisher);
    }
    // The server picks the speakers for the whole room (a subscriber that
    // is one of them hears the standby instead of itself): the spurt is due
    // a slot when fewer ready non-priority talkers of its room are louder
    // than the slots left after the room's priority sources.
    const std::string talkerRoom = room(spurt.publisher);
    int rank = 0;
    for (const uint32_t other : louder) {
      if (!s.IsPriority(other) && readyAt(other, start) && room(other) == talkerRoom) ++rank;
    }
    int prioritySlots = 0;
    for (uint32_t p = 0; p < s.audio.priorityPublishers; ++p) {
      if (readyAt(p, start) && room(p) == talkerRoom) ++prioritySlots;
    }
    for (uint32_t subscriber = 0; subscriber < observations_.size(); ++subscriber) {
      const auto& o = observations_[subscriber];
      if (!o.bindsAudioSlots || subscriber == spurt.publisher || o.slotsBoundUs == 0 ||
          o.connectedUs == 0 || std::max(o.slotsBoundUs, o.connectedUs) > start ||
          o.room != talkerRoom || rank >= o.audioSlots - prioritySlots) {
        continue;
      }
      ++analysis.expected;
      const auto it = heard[subscriber].find({spurt.publisher, start});
      if (it == heard[subscriber].end()) {
        ++analysis.missed;
      } else {
        analysis.latency.Record(it->second - start);
      }
    }
  }
  return analysis;
}

}  // namespace myriad::loadtest
