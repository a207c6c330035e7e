#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "congestion/AcknowledgedBitrateEstimator.h"
#include "congestion/AimdRateControl.h"
#include "congestion/BandwidthUsage.h"
#include "congestion/DataRate.h"
#include "congestion/InterArrivalDelta.h"
#include "congestion/LossBasedEstimator.h"
#include "congestion/OveruseDetector.h"
#include "congestion/ProbeBitrateEstimator.h"
#include "congestion/ProbeController.h"
#include "congestion/SentPacketHistory.h"
#include "congestion/TimeDelta.h"
#include "congestion/Timestamp.h"
#include "congestion/TrendlineEstimator.h"
#include "rtp/TransportCcFeedback.h"

namespace myriad::congestion {

// Estimates a subscriber's downlink capacity from the transport-wide congestion control
// feedback it sends about the media we send it (draft-holmer-rmcat-transport-wide-cc-
// extensions-01; the estimator is GoogCC's, draft-ietf-rmcat-gcc-02). One per subscriber
// transport. Pure logic, time passed in: `now` is the server's monotonic clock; the arrival
// times in feedback are the subscriber's clock, of which only differences are used.
//
// Per feedback:
// 1. Each status is matched with the sent packet (SentPacketHistory); statuses for numbers not
//    in the history are ignored and counted (UnknownFeedbackCount). A packet is settled by its
//    first report; repeats are ignored, a packet reported lost and later received counts as
//    received.
// 2. Received packets, sorted by arrival time, feed the acknowledged throughput, the probe
//    clusters they belong to, and the delay chain: InterArrivalDelta (groups) ->
//    TrendlineEstimator (slope of the queueing delay) -> OveruseDetector (usage).
// 3. AimdRateControl turns the usage into the delay-based rate. A probe result at least
//    ProbeController::kSuccessRatio above it replaces it at once (unless the detector says
//    overusing, which wins); a decrease tells the probe controller where the ceiling is.
// 4. LossBasedEstimator turns the loss into an upper bound.
// 5. target = min(delay-based, loss-based) within [min, max]; ProbeController may ask for a
//    probe towards the desired rate.
// A report that settled none of our packets (all unknown, or a duplicate) changes nothing.
//
// Process(now) runs on a timer (every 25-100 ms): it may ask for a due probe, and if packets
// were sent more than kFeedbackTimeout ago and no feedback came since, it halves the target
// once per kFeedbackTimeout (the path or the feedback is gone; sending on at full rate would
// only fill queues). Nothing is halved while nothing is sent: silence is not congestion.
// Silence also ends a verdict: when nothing was sent for kIdleReset since the last feedback,
// the delay chain starts afresh (detector back to normal). Whatever queue it saw has drained,
// and a stale "overusing" would otherwise block every probe for good: a subscriber whose only
// video the allocator paused sends nothing, so no feedback could ever clear it.
//
// Allocation happens only in the constructor; nothing here throws.
class SendSideBandwidthEstimator {
 public:
  struct Options {
    DataRate start = DataRate::FromKbps(300);
    DataRate min = DataRate::FromKbps(30);
    DataRate max = DataRate::FromKbps(20'000);
  };

  struct Result {
    DataRate target;       // what to send at: min(delay-based, loss-based) within [min, max]
    DataRate delayBased;   // AimdRateControl's rate
    DataRate lossBased;    // the loss bound (max while loss never called for one)
    double lossRatio = 0;  // of the last loss window
    BandwidthUsage usage = BandwidthUsage::kNormal;
    // Send this probe cluster now: it is outstanding from here on, and its result (or a
    // timeout, if its packets never come back in feedback) decides when the next may go.
    std::optional<ProbeRequest> probe;
    // A probe cluster's measurement that this feedback completed or refined (for logs: what
    // the probe showed and what the controller made of it).
    std::optional<ProbeBitrateEstimator::Result> probeMeasured;
  };

  static constexpr TimeDelta kFeedbackTimeout = TimeDelta::FromSeconds(1);
  static constexpr TimeDelta kIdleReset = TimeDelta::FromSeconds(1);

  explicit SendSideBandwidthEstimator(const Options& options);

  // Every packet carrying a transport-wide sequence number, when it leaves. Probe cluster
  // packets carry the cluster id of the ProbeRequest they answer. Other packets (media,
  // retransmissions) sent after a cluster's first packet and within its duration count as the
  // cluster's too: they cross the bottleneck between its packets, and counting the probe's own
  // bytes over a receive interval that also carried theirs would measure too little (a
  // 1.3 Mbit/s probe beside 450 kbit/s of video measured 0.67 Mbit/s on a 2 Mbit/s link, and a
  // probe that fails so sets a ceiling that holds the estimate down for seconds). libwebrtc's
  // pacer sends media inside a probe cluster for the same reason.
  void OnPacketSent(uint16_t sequenceNumber, size_t bytes, Timestamp now, int probeClusterId = -1);

  // What the subscriber's subscriptions would use; probing stops at it. Zero: never probe.
  // `starved`: one of them is paused for want of bandwidth (ProbeController).
  void SetDesiredRate(DataRate desired, bool starved = false);

  // The round-trip time to the subscriber (from RTCP SR/RR).
  void OnRtt(TimeDelta rtt);

  Result OnTransportFeedback(const rtp::TransportCcFeedback& feedback, Timestamp now);
  Result Process(Timestamp now);

  DataRate Target() const { return target_; }
  std::optional<DataRate> AcknowledgedRate() const { return acknowledgedRate_.Rate(); }
  int64_t InFlightBytes() const { return history_.InFlightBytes(); }
  // Feedback statuses naming sequence numbers not (or no longer) in the send history.
  uint64_t UnknownFeedbackCount() const { return unknownFeedbackCount_; }

 private:
  struct AckedPacket {
    Timestamp sendTime;
    Timestamp arrivalTime;  // subscriber's clock
    size_t bytes = 0;
    int probeClusterId = -1;
    uint16_t sequenceNumber = 0;
  };

  // The feedback's reference time, extended past its 24-bit wrap (in 64 ms units).
  int64_t UnwrapReferenceTime(int32_t referenceTime);
  void UpdateDelayBased(const std::optional<ProbeBitrateEstimator::Result>& probe, Timestamp now);
  void UpdateTarget();
  Result MakeResult(Timestamp now);

  Options options_;
  SentPacketHistory history_;
  InterArrivalDelta interArrival_;
  TrendlineEstimator trendline_;
  OveruseDetector detector_;
  AimdRateControl aimd_;
  AcknowledgedBitrateEstimator acknowledgedRate_;
  LossBasedEstimator lossBased_;
  ProbeBitrateEstimator probeEstimator_;
  ProbeController probeController_;

  std::vector<AckedPacket> acked_;  // one feedback's received packets; capacity reserved once
  std::optional<int32_t> lastReferenceTime_;
  int64_t unwrappedReferenceTime_ = 0;
  TimeDelta rtt_ = AimdRateControl::kDefaultRtt;
  std::optional<Timestamp> firstSendSinceFeedback_;
  std::optional<Timestamp> lastFeedbackAt_;
  bool idleReset_ = false;  // the delay chain was reset since the last feedback
  DataRate target_;
  uint64_t unknownFeedbackCount_ = 0;
  std::optional<ProbeBitrateEstimator::Result> probeMeasured_;  // for the next Result
  int sendingCluster_ = -1;  // the last probe cluster a packet was sent for
};

}  // namespace myriad::congestion
