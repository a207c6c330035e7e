#include "congestion/OveruseDetector.h"

#include <algorithm>
#include <cmath>

namespace myriad::congestion {

BandwidthUsage OveruseDetector::Detect(double modifiedTrend, TimeDelta sendDelta, int deltaCount,
                                       Timestamp now) {
  if (deltaCount < 2) {
    state_ = BandwidthUsage::kNormal;
    return state_;
  }
  if (modifiedTrend > thresholdMs_) {
    // The first sample over counts half its spacing: the crossing happened somewhere in it.
    timeOverusing_ = timeOverusing_ ? *timeOverusing_ + sendDelta : sendDelta / 2;
    ++overuseCount_;
    if (*timeOverusing_ > kOverusingTimeThreshold && overuseCount_ > 1 &&
        modifiedTrend >= previousTrend_) {
      timeOverusing_ = TimeDelta::Zero();
      overuseCount_ = 0;
      state_ = BandwidthUsage::kOverusing;
    }
  } else if (modifiedTrend < -thresholdMs_) {
    timeOverusing_.reset();
    overuseCount_ = 0;
    state_ = BandwidthUsage::kUnderusing;
  } else {
    timeOverusing_.reset();
    overuseCount_ = 0;
    state_ = BandwidthUsage::kNormal;
  }
  previousTrend_ = modifiedTrend;
  AdaptThreshold(modifiedTrend, now);
  return state_;
}

void OveruseDetector::AdaptThreshold(double modifiedTrend, Timestamp now) {
  if (!lastAdaptTime_) lastAdaptTime_ = now;
  const double magnitude = std::fabs(modifiedTrend);
  if (magnitude > thresholdMs_ + kMaxAdaptOffsetMs) {
    lastAdaptTime_ = now;  // a spike: leave the threshold alone
    return;
  }
  const double gain = magnitude < thresholdMs_ ? kDownGain : kUpGain;
  const double stepMs = std::clamp(now - *lastAdaptTime_, TimeDelta::Zero(), kMaxAdaptStep).MsF();
  thresholdMs_ += gain * (magnitude - thresholdMs_) * stepMs;
  thresholdMs_ = std::clamp(thresholdMs_, kMinThresholdMs, kMaxThresholdMs);
  lastAdaptTime_ = now;
}

}  // namespace myriad::congestion
