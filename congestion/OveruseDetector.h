#pragma once

#include <optional>

#include "congestion/BandwidthUsage.h"
#include "congestion/TimeDelta.h"
#include "congestion/Timestamp.h"

namespace myriad::congestion {

// Decides overuse / normal / underuse from the trendline's modified trend (GoogCC,
// draft-ietf-rmcat-gcc-02 section 5.4).
//
// - Overusing: the trend stayed above +threshold for more than kOverusingTimeThreshold and
//   over more than one sample, and is not falling. One high sample is noise; a queue that
//   keeps growing is not.
// - Underusing: the trend is below -threshold (the queue drains).
// - Normal otherwise.
// Overusing holds until the trend drops back under the threshold.
//
// The threshold adapts (section 5.4 eq. 4): it rises slowly (kUpGain) towards trends above it
// and falls faster (kDownGain) towards trends below it, within [kMinThresholdMs,
// kMaxThresholdMs]. With a fixed threshold a competing TCP flow, whose queue never empties,
// would starve the media; the adaptive one tolerates a standing queue but still reacts to a
// growing one. A trend far above the threshold (by kMaxAdaptOffsetMs) is a real overuse or a
// spike and is not allowed to drag the threshold up.
class OveruseDetector {
 public:
  static constexpr double kInitialThresholdMs = 12.5;
  static constexpr double kMinThresholdMs = 6;
  static constexpr double kMaxThresholdMs = 600;
  static constexpr double kUpGain = 0.0087;   // per ms
  static constexpr double kDownGain = 0.039;  // per ms
  static constexpr double kMaxAdaptOffsetMs = 15;
  static constexpr TimeDelta kMaxAdaptStep = TimeDelta::FromMs(100);
  static constexpr TimeDelta kOverusingTimeThreshold = TimeDelta::FromMs(10);

  // One sample: the modified trend after the trendline took the group with `sendDelta`,
  // `deltaCount` samples so far, at `now` (any monotonic clock, used only for the adaptation
  // step).
  BandwidthUsage Detect(double modifiedTrend, TimeDelta sendDelta, int deltaCount, Timestamp now);

  BandwidthUsage State() const { return state_; }
  double ThresholdMs() const { return thresholdMs_; }

 private:
  void AdaptThreshold(double modifiedTrend, Timestamp now);

  BandwidthUsage state_ = BandwidthUsage::kNormal;
  double thresholdMs_ = kInitialThresholdMs;
  std::optional<Timestamp> lastAdaptTime_;
  std::optional<TimeDelta> timeOverusing_;  // unset while the trend is under the threshold
  int overuseCount_ = 0;
  double previousTrend_ = 0;
};

}  // namespace myriad::congestion
