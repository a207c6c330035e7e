#pragma once

#include <cstddef>
#include <optional>

#include "congestion/BandwidthUsage.h"
#include "congestion/DataRate.h"
#include "congestion/TimeDelta.h"
#include "congestion/Timestamp.h"

namespace myriad::congestion {

// Ask the sender to send a probe cluster: rate x duration bytes paced at `rate`, in at least
// `minPackets` packets, each tagged with `clusterId` (media, retransmissions or padding; use
// smaller packets when full ones would be too few). A short cluster of small packets measures
// the path without building much of a queue at a bottleneck it overshoots.
struct ProbeRequest {
  int clusterId = -1;
  DataRate rate;
  TimeDelta duration;
  int minPackets = 5;
};

// Decides when to probe for more bandwidth. AIMD alone climbs 8% a second at best, so a
// subscriber whose link got faster would wait tens of seconds for the video its layout wants;
// a probe sends a short burst above the estimate and, if the path carried it, the estimate
// jumps there at once (ProbeBitrateEstimator measures, the caller applies).
//
// A probe is asked for when all hold:
// - the caller wants more than the estimate (the target): desired >= estimate x
//   kWorthProbingRatio. The desired rate is what the subscriptions would use; nobody probes
//   for bandwidth nothing would use. While the caller is starved (a wanted track paused for
//   want of bandwidth) any gap is worth a probe, at least kMinProbeMultiplier x the estimate:
//   the desired rate already carries the allocator's margin, so an estimate just under it
//   holds the track back, and with its media not flowing nothing else would raise the estimate;
// - the detector says normal (not while the queue grows or drains);
// - no probe is outstanding (its result, or kResultTimeout after it ends, settles it);
// - the spacing since the last probe has passed: none after a probe the path carried in full
//   (kCarriedRatio of its rate: the capacity is higher still, search on), kIntervalAfterSuccess
//   after a probe that measured kSuccessRatio x the estimate it started from but hit a ceiling,
//   else a back-off that starts at
//   kInitialBackoff and doubles per failed probe up to kMaxBackoff (a link at its capacity is
//   not hammered);
// - the delay-based rate is not far below a ceiling seen in the last kCeilingBlocksFor
//   (kNearCeilingRatio). The ceiling is
//   the throughput at the last delay-based decrease, or what the last probe that did not get
//   through measured. Below it the delay-based control is climbing back to a rate the path is
//   known to carry; a probe could show no more than that while its queue risks a needless cut.
//   (A target held down by the loss bound alone may probe: a probe result lifts that bound.)
//
// The rate is kProbeMultiplier x the estimate, at most the desired rate and, with a ceiling
// known, at most kCeilingMultiplier x max(ceiling, estimate): near a known capacity a probe only
// needs to show whether the capacity grew, and a big overshoot there queues long enough for the
// detector to call it overuse. A probe the path carried in full (kCarriedRatio of its rate)
// clears the ceiling. A probe lasts kDuration and carries at least kMinPackets packets.
//
// Raising the desired rate (by kWorthProbingRatio) restarts the back-off and allows a probe at
// once, at the new desired rate itself (within the ceiling rule) rather than twice the estimate:
// a tile that grows from 180p to 720p needs several times the estimate, and doubling towards it
// takes a feedback round per step (libwebrtc probes at a raised allocation the same way). The
// first desired rate starts the doubling search from the start estimate instead.
class ProbeController {
 public:
  static constexpr double kProbeMultiplier = 2.0;
  // A probe for a raised desired rate goes at most this far above the estimate: one probe
  // covers a 180p tile growing to 720p, and a desired rate that is wrong by orders of magnitude
  // cannot turn into a burst the link drowns in.
  static constexpr double kMaxRaisedProbeMultiplier = 10.0;
  static constexpr double kCeilingMultiplier = 1.3;
  static constexpr double kNearCeilingRatio = 0.95;
  // A probe measured below this share of its rate did not get through in full.
  static constexpr double kCarriedRatio = 0.9;
  static constexpr double kWorthProbingRatio = 1.1;
  static constexpr double kSuccessRatio = 1.1;
  // A starved caller's probe goes at least this far above the estimate, so that a path that
  // carries it can show kSuccessRatio (with room for noise) even when the desired rate is close.
  static constexpr double kMinProbeMultiplier = 1.25;
  static constexpr TimeDelta kIntervalAfterSuccess = TimeDelta::FromSeconds(1);
  static constexpr TimeDelta kInitialBackoff = TimeDelta::FromSeconds(2);
  static constexpr TimeDelta kMaxBackoff = TimeDelta::FromSeconds(8);
  static constexpr TimeDelta kResultTimeout = TimeDelta::FromSeconds(1);
  static constexpr TimeDelta kDuration = TimeDelta::FromMs(15);
  static constexpr int kMinPackets = 5;
  // A ceiling older than this no longer blocks probes (it still caps their
  // rate until a probe clears it): the throughput at a decrease is often
  // what the application sent, not what the path carries, and the rate
  // control cannot climb past 1.5x the acknowledged rate on its own, so an
  // everlasting ceiling could pin an application-limited subscriber below
  // what its layout wants.
  static constexpr TimeDelta kCeilingBlocksFor = TimeDelta::FromSeconds(3);

  // `starved`: a track the caller wants is paused because the estimate does not cover it.
  void SetDesiredRate(DataRate desired, bool starved = false);
  DataRate DesiredRate() const { return desired_; }

  // The probe to send now, if one is due. `estimate` is the target the sender uses,
  // `delayBased` the delay-based part of it.
  std::optional<ProbeRequest> Process(Timestamp now, DataRate estimate, DataRate delayBased,
                                      BandwidthUsage usage);

  // The delay-based control cut the rate at this acknowledged throughput: the path did not
  // carry more.
  void OnCeilingSeen(DataRate throughput, Timestamp now) {
    ceiling_ = throughput;
    ceilingSeenAt_ = now;
  }

  // What ProbeBitrateEstimator measured for a cluster. Only the outstanding probe's first
  // result counts for success or failure.
  void OnProbeResult(int clusterId, DataRate measured, Timestamp now);

  bool ProbeOutstanding() const { return outstanding_.has_value(); }
  // Cluster `clusterId` is the outstanding probe and `now` is within its duration from the
  // request: [request, request + duration).
  bool ClusterSending(int clusterId, Timestamp now) const {
    return outstanding_ && outstanding_->clusterId == clusterId && now < outstanding_->endsAt;
  }
  std::optional<DataRate> Ceiling() const { return ceiling_; }
  TimeDelta Backoff() const { return backoff_; }

 private:
  struct Outstanding {
    int clusterId = -1;
    DataRate rate;
    DataRate estimateBefore;
    Timestamp endsAt;
  };

  void Failed(Timestamp now);

  DataRate desired_;
  bool starved_ = false;
  std::optional<Outstanding> outstanding_;
  std::optional<DataRate> ceiling_;
  Timestamp ceilingSeenAt_ = Timestamp::MinusInfinity();
  Timestamp nextProbeAt_ = Timestamp::MinusInfinity();
  TimeDelta backoff_ = kInitialBackoff;
  int nextClusterId_ = 1;
  bool probeAtDesired_ = false;
};

}  // namespace myriad::congestion
