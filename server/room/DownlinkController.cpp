#include "server/room/DownlinkController.h"

#include <algorithm>

#include "server/Logging.h"
#include "server/Metrics.h"
#include "server/room/Participant.h"
#include "server/room/Publication.h"
#include "server/room/PublishedStream.h"
#include "server/room/Room.h"
#include "server/room/Subscription.h"

namespace myriad::server::room {
namespace {

int64_t ToMs(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// A padding packet as the send history counts it: its padding, RTP header
// (12) and transport-wide-cc extension (8), plus kPacketOverheadBytes.
constexpr int64_t kPaddingPacketBytes =
    DownlinkController::kMaxPaddingBytes + 12 + 8 + DownlinkController::kPacketOverheadBytes;

}  // namespace

DownlinkController::DownlinkController(Participant& subscriber, boost::asio::io_context& context,
                                       const Options& options)
    : subscriber_(subscriber),
      options_(options),
      estimator_(options.estimator),
      allocator_(options.allocator),
      probeTimer_(context) {}

void DownlinkController::OnSubscriptionRemoved(const Subscription& subscription) {
  if (probe_.carrier == &subscription) {
    probe_ = Probe{};
    probeTimer_.cancel();
  }
}

void DownlinkController::OnPacketSent(uint16_t transportSequence, size_t rtpBytes,
                                      int probeClusterId, Clock::time_point now) {
  estimator_.OnPacketSent(transportSequence, rtpBytes + kPacketOverheadBytes, ToTimestamp(now),
                          probeClusterId);
  ++packetsSent_;
}

void DownlinkController::OnTransportFeedback(const rtp::TransportCcFeedback& feedback,
                                             Clock::time_point now) {
  // Until the subscriber's first feedback there is nothing to estimate
  // from: a client that negotiated transport-wide-cc but never reports is
  // not throttled by a timeout.
  if (!active_) activeSince_ = now;
  active_ = true;
  OnEstimate(estimator_.OnTransportFeedback(feedback, ToTimestamp(now)), now);
}

void DownlinkController::OnRtt(int64_t rttMs) {
  estimator_.OnRtt(congestion::TimeDelta::FromMs(rttMs));
}

void DownlinkController::OnTick(Clock::time_point now) {
  if (!active_) return;
  OnEstimate(estimator_.Process(ToTimestamp(now)), now);
  if (!lastAllocationAt_ || allocateSoon_ ||
      now - *lastAllocationAt_ >= options_.allocationInterval) {
    lastAllocationAt_ = now;
    allocateSoon_ = false;
    Allocate(now);
  }
}

void DownlinkController::OnEstimate(const congestion::SendSideBandwidthEstimator::Result& result,
                                    Clock::time_point now) {
  // A cut estimate is allocated at the next tick rather than at the next
  // round: until the votes fall and the publisher follows, the link gets
  // more than it carries and its queue grows (the cut was about 300 ms from
  // reaching the publisher at a 250 ms round). Rises wait for the round.
  if (active_ && result.target < lastResult_.target * kUrgentCutRatio) allocateSoon_ = true;
  lastResult_ = result;
  if (result.usage != lastUsage_) {
    static const auto logger = Logging::Get("bandwidth");
    logger->debug("{}: usage {} -> {}, target {} kbit/s (delay {}, loss {}, loss ratio {:.3f})",
                  subscriber_.Id(), static_cast<int>(lastUsage_), static_cast<int>(result.usage),
                  result.target.Bps() / 1000, result.delayBased.Bps() / 1000,
                  result.lossBased.Bps() / 1000, result.lossRatio);
    lastUsage_ = result.usage;
  }
  if (result.probeMeasured) {
    static const auto logger = Logging::Get("bandwidth");
    logger->debug("{}: probe cluster {} measured {} kbit/s, target now {} kbit/s", subscriber_.Id(),
                  result.probeMeasured->clusterId, result.probeMeasured->rate.Bps() / 1000,
                  result.target.Bps() / 1000);
  }
  if (result.probe) StartProbe(*result.probe, now);
}

void DownlinkController::StartProbe(const congestion::ProbeRequest& probe, Clock::time_point now) {
  // Any video subscription with RTX and transport-wide-cc will do: the
  // padding says nothing, only its arrival times matter.
  Subscription* carrier = nullptr;
  for (auto& [mid, subscription] : subscriber_.Subscriptions()) {
    if (subscription->TierCount() > 0 && subscription->RtxSsrc() != 0) {
      carrier = subscription.get();
      break;
    }
  }
  if (!carrier) return;
  // Packets evenly spaced over the cluster's duration, each carrying the
  // rate for one interval: N packets span N-1 intervals, which is how the
  // estimator measures the send rate (all bytes but the last over the time
  // from first to last send). As many packets as the padding limit needs,
  // at least minPackets.
  const int64_t bytes = probe.rate.Bps() * probe.duration.Us() / 8'000'000;
  const int64_t packets =
      std::clamp<int64_t>((bytes + kPaddingPacketBytes - 1) / kPaddingPacketBytes + 1,
                          std::max(probe.minPackets, 2), kMaxProbePackets);
  const int64_t perPacket = bytes / (packets - 1);
  const int64_t padding = std::clamp<int64_t>(perPacket - (kPaddingPacketBytes - kMaxPaddingBytes),
                                              16, kMaxPaddingBytes);
  probe_ = Probe{carrier,
                 probe.clusterId,
                 packets,
                 static_cast<uint8_t>(padding),
                 std::chrono::microseconds(probe.duration.Us() / (packets - 1)),
                 now,
                 0};
  Metrics::Instance().probe_clusters().Increment();
  static const auto logger = Logging::Get("bandwidth");
  logger->debug("{}: probe cluster {} at {} kbit/s: {} packets of {} bytes padding",
                subscriber_.Id(), probe.clusterId, probe.rate.Bps() / 1000, packets, padding);
  SendDueProbePackets(now);
}

void DownlinkController::SendDueProbePackets(Clock::time_point now) {
  while (probe_.packetsLeft > 0 && probe_.nextAt <= now) {
    if (!probe_.carrier->SendPadding(probe_.paddingBytes, probe_.clusterId, now)) {
      probe_.packetsLeft = 0;
      break;
    }
    --probe_.packetsLeft;
    ++probe_.sent;
    probe_.nextAt += probe_.interval;
    Metrics::Instance().probe_packets().Increment();
  }
  if (probe_.packetsLeft == 0) return;
  probeTimer_.expires_at(probe_.nextAt);
  probeTimer_.async_wait(
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& error) {
        // Cancelled, or the controller is gone (a wait that completed just
        // before is not cancelled by the timer's destruction): touch nothing.
        if (error || alive.expired()) return;
        SendDueProbePackets(Clock::now());
      });
}

void DownlinkController::Allocate(Clock::time_point now) {
  const int64_t nowMs = ToMs(now);
  input_.tracks.clear();
  tracked_.clear();
  uint32_t audioBps = 0;
  Room& room = subscriber_.GetRoom();
  for (auto& [mid, subscription] : subscriber_.Subscriptions()) {
    Publication* publication = subscription->Source();
    const int tierCount = subscription->TierCount();
    if (tierCount == 0) {
      // Audio that flows now: a slot carrying a speaker, a plain audio track.
      if (publication) audioBps += kAudioSubscriptionBps;
      continue;
    }
    congestion::BandwidthAllocator::Track track;
    track.id = subscription->Ssrc();
    if (publication->Source() == "screen") {
      track.priority = congestion::BandwidthAllocator::Priority::kScreenShare;
    } else if (room.IsSpeaking(publication->Owner().OwnAudioSourceId())) {
      track.priority = congestion::BandwidthAllocator::Priority::kActiveSpeaker;
    } else {
      track.priority = congestion::BandwidthAllocator::Priority::kGridTile;
    }
    track.wantedTier = subscription->WantedTier();
    track.currentTier = subscription->TargetTier();
    track.tierCount = std::min(tierCount, congestion::BandwidthAllocator::kMaxTiers);
    const auto* caps = publication->Caps();
    for (int tier = 0; tier < track.tierCount; ++tier) {
      auto& rates = track.tiers[static_cast<size_t>(tier)];
      const uint32_t maxBps = publication->TierMaxBitrate(tier);
      if (maxBps == 0) {
        // A paused encoding: the allocator passes over it (TierRates::maxBps).
        rates = {};
        continue;
      }
      rates.minBps = publication->TierMinBitrate(tier);
      rates.maxBps = maxBps;
      rates.measuredBps = static_cast<uint32_t>(
          publication->Stream(static_cast<size_t>(tier)).Bitrate().RateBps(nowMs));
      // On the lowest tier the cap is the lowest vote: this subscriber
      // holds it down whatever the others vote.
      rates.capByOthersBps = caps && !publication->IsLowestTier(tier)
                                 ? caps->HighestVoteExcept(subscriber_.Number(), tier)
                                 : 0;
    }
    input_.tracks.push_back(track);
    tracked_.push_back(subscription.get());
  }
  const int64_t estimate = estimator_.Target().Bps();
  if (now - activeSince_ < kStartupGrace) {
    // The estimate is still the start guess while the first probes are
    // out: deciding on it would pause what the link can carry. Only the
    // rate to probe for.
    input_.audioBps = audioBps;
    input_.overheadBps = 0;
    estimator_.SetDesiredRate(
        congestion::DataRate::FromBps(static_cast<int64_t>(allocator_.DesiredBps(input_))));
    return;
  }
  input_.estimateBps = static_cast<uint32_t>(std::min<int64_t>(estimate, UINT32_MAX));
  input_.audioBps = audioBps;
  // The estimate is of what the path carries, headers included (the send
  // history adds kPacketOverheadBytes to each packet), while tier rates are
  // RTP bytes: the headers of the packets sent since the last round are
  // reserved. A few percent for full-size video packets, far more for a
  // sender that cuts its frames into small ones.
  const double elapsed =
      lastOverheadAt_ ? std::chrono::duration<double>(now - *lastOverheadAt_).count() : 0;
  if (elapsed > 0) {
    const double packetsPerSecond =
        static_cast<double>(packetsSent_ - packetsAtLastRound_) / elapsed;
    input_.overheadBps =
        static_cast<uint32_t>(packetsPerSecond * static_cast<double>(kPacketOverheadBytes) * 8);
  }
  lastOverheadAt_ = now;
  packetsAtLastRound_ = packetsSent_;
  const auto& output = allocator_.Allocate(input_, nowMs);
  lastAllocation_ = &output;

  auto& metrics = Metrics::Instance();
  bool starved = false;
  for (size_t i = 0; i < output.tracks.size(); ++i) {
    const auto& decision = output.tracks[i];
    Subscription& subscription = *tracked_[i];
    const bool paused = decision.targetTier < 0 && input_.tracks[i].wantedTier >= 0;
    starved = starved || paused;
    // No tier wanted: no limit either, so a layout that grows is not held
    // back until the next round.
    const int limit =
        decision.targetTier >= 0 ? decision.targetTier : simulcast::LayerSelector::kUncapped;
    subscription.SetBandwidthLimit(limit, paused, now);
    if (auto* caps = subscription.Source()->Caps()) {
      if (const auto voter = subscription.CapVoter()) {
        caps->VoteAt(*voter, decision.targetTier, decision.allocatedBps);
      }
    }
    if (decision.direction == congestion::BandwidthAllocator::Direction::kDown) {
      metrics.BandwidthSteps(paused ? BandwidthStep::kPause : BandwidthStep::kDown).Increment();
    } else if (decision.direction == congestion::BandwidthAllocator::Direction::kUp) {
      metrics.BandwidthSteps(BandwidthStep::kUp).Increment();
    }
  }
  // What the downlink affords each simulcast subscription caps the level it
  // asks the publisher for (congestion::AffordableLevelCap). While capped,
  // the allocator sees only the tiers planned for the cap, so the estimator
  // is also told what the layout's level would use: it probes for it, and
  // the cap can lift when the link allows.
  uint64_t desired = output.desiredBps;
  for (size_t i = 0; i < output.tracks.size(); ++i) {
    const auto& decision = output.tracks[i];
    Subscription& subscription = *tracked_[i];
    const auto cap =
        subscription.OnAllocation(decision.budgetBps, decision.limitedByBandwidth, nowMs);
    if (!cap) continue;
    const auto& ladder = subscription.Source()->Planner()->Ladder();
    const int layout = subscription.PlannableVideoLevel();
    if (layout > *cap) {
      desired += static_cast<uint64_t>(
          (ladder.Level(layout).maxBitrateBps - ladder.Level(*cap).maxBitrateBps) *
          (1.0 + options_.allocator.upMargin));
    }
  }
  estimator_.SetDesiredRate(congestion::DataRate::FromBps(static_cast<int64_t>(desired)), starved);
  metrics.downlink_estimate().Observe(static_cast<double>(estimate));
  static const auto logger = Logging::Get("bandwidth");
  if (logger->should_log(spdlog::level::debug) && !output.tracks.empty()) {
    const auto& first = output.tracks.front();
    logger->debug(
        "{}: estimate {} kbit/s (delay {}, loss {}, loss ratio {:.3f}, acked {}), desired {} "
        "kbit/s, {} tracks, first: tier {} ({} kbit/s), asks level {}",
        subscriber_.Id(), estimate / 1000, lastResult_.delayBased.Bps() / 1000,
        lastResult_.lossBased.Bps() / 1000, lastResult_.lossRatio,
        estimator_.AcknowledgedRate().value_or(congestion::DataRate::Zero()).Bps() / 1000,
        desired / 1000, output.tracks.size(), first.targetTier, first.allocatedBps / 1000,
        tracked_.front()->DemandLevel());
  }
}

}  // namespace myriad::server::room
