#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "congestion/BandwidthAllocator.h"
#include "congestion/SendSideBandwidthEstimator.h"
#include "rtp/TransportCcFeedback.h"

namespace myriad::server::room {

class Participant;
class Subscription;

// What goes down to one subscriber (docs/protocol.md "Bandwidth"): the
// send-side estimate of its downlink from the transport-wide feedback its
// browser returns, the split of that estimate over its video subscriptions
// (congestion::BandwidthAllocator: screen share, then active speakers, then
// grid tiles; one tier at a time; pause rather than starve), and the votes
// that cap each publisher's tiers at what the best-connected viewer of the
// tier can take (congestion::TierBitrateCaps in the publication). When the
// estimate is below what the layout wants, it probes with padding on the
// RTX stream of a video subscription.
//
// Owned by the participant, created with its first video subscription
// (audio-only subscribers have nothing to allocate and keep no send
// history). Runs on the participant's worker; OnPacketSent is on the packet
// path and does not allocate.
class DownlinkController {
 public:
  using Clock = std::chrono::steady_clock;

  // How often subscribers' shares are reallocated and, on the publisher's
  // side, caps recomputed (Participant).
  static constexpr std::chrono::milliseconds kAllocationInterval{250};
  // For this long after the first feedback, nothing is allocated (no
  // pauses, no steps, no votes): the estimator's initial probes take the
  // estimate from its start guess to the link's rate within about a second.
  static constexpr std::chrono::milliseconds kStartupGrace{1000};
  // An estimate cut below this share of the last one is allocated at the
  // next tick, not at the next round.
  static constexpr double kUrgentCutRatio = 0.95;

  struct Options {
    congestion::SendSideBandwidthEstimator::Options estimator;
    congestion::BandwidthAllocator::Options allocator;
    std::chrono::milliseconds allocationInterval = kAllocationInterval;
  };
  // What each audio subscription costs the budget (Opus at ~32 kbit/s plus
  // packet overhead at 50 packets a second).
  static constexpr uint32_t kAudioSubscriptionBps = 48'000;
  // Packet overhead (IP, UDP, SRTP tag) per RTP packet, for the send history:
  // the estimate is of what the path carries, not of RTP bytes.
  static constexpr size_t kPacketOverheadBytes = 20 + 8 + 16;
  // The largest padding a packet carries (RFC 3550 5.1: one octet counts it).
  static constexpr uint8_t kMaxPaddingBytes = 255;
  // A probe cluster is a burst: bounded so one request cannot flood.
  static constexpr int64_t kMaxProbePackets = 200;

  DownlinkController(Participant& subscriber, boost::asio::io_context& context,
                     const Options& options);

  // Every RTP packet sent to the subscriber with a transport-wide sequence
  // number (its RTP size; overhead is added here).
  void OnPacketSent(uint16_t transportSequence, size_t rtpBytes, int probeClusterId,
                    Clock::time_point now);
  void OnTransportFeedback(const rtp::TransportCcFeedback& feedback, Clock::time_point now);
  void OnRtt(int64_t rttMs);
  // Worker tick: estimator timeouts, due probes, and an allocation round
  // every allocationInterval.
  void OnTick(Clock::time_point now);

  // A subscription's wanted tier changed: the next tick runs an allocation round whatever the
  // interval, so a grown tile's probe and switch start at once.
  void AllocateSoon() { allocateSoon_ = true; }

  // A subscription is going away: a probe it carries stops.
  void OnSubscriptionRemoved(const Subscription& subscription);

  int64_t EstimateBps() const { return estimator_.Target().Bps(); }
  const congestion::BandwidthAllocator::Output* LastAllocation() const { return lastAllocation_; }

 private:
  static congestion::Timestamp ToTimestamp(Clock::time_point t) {
    return congestion::Timestamp::FromUs(
        std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
  }
  void OnEstimate(const congestion::SendSideBandwidthEstimator::Result& result,
                  Clock::time_point now);
  void Allocate(Clock::time_point now);
  // Probe clusters are paced: a burst sent in one go has no send interval
  // to measure a rate from (ProbeBitrateEstimator), so the packets are
  // spread evenly over the cluster's duration by a timer.
  void StartProbe(const congestion::ProbeRequest& probe, Clock::time_point now);
  void SendDueProbePackets(Clock::time_point now);
  struct Probe {
    Subscription* carrier = nullptr;
    int clusterId = -1;
    int64_t packetsLeft = 0;
    uint8_t paddingBytes = 0;
    Clock::duration interval{};
    Clock::time_point nextAt{};
    int64_t sent = 0;
  };

  Participant& subscriber_;
  Options options_;
  congestion::SendSideBandwidthEstimator estimator_;
  congestion::BandwidthAllocator allocator_;
  congestion::BandwidthAllocator::Input input_;
  std::vector<Subscription*> tracked_;  // index-aligned with input_.tracks
  const congestion::BandwidthAllocator::Output* lastAllocation_ = nullptr;
  bool active_ = false;
  Clock::time_point activeSince_{};
  congestion::SendSideBandwidthEstimator::Result lastResult_;
  congestion::BandwidthUsage lastUsage_ = congestion::BandwidthUsage::kNormal;
  Probe probe_;
  boost::asio::steady_timer probeTimer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::optional<Clock::time_point> lastAllocationAt_;
  bool allocateSoon_ = false;
  // Packets sent, for the header overhead each round reserves.
  uint64_t packetsSent_ = 0;
  uint64_t packetsAtLastRound_ = 0;
  std::optional<Clock::time_point> lastOverheadAt_;
};

}  // namespace myriad::server::room
