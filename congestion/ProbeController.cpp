#include "congestion/ProbeController.h"

#include <algorithm>
#include <limits>

namespace myriad::congestion {

void ProbeController::SetDesiredRate(DataRate desired, bool starved) {
  starved_ = starved;
  if (desired > desired_ * kWorthProbingRatio) {
    backoff_ = kInitialBackoff;
    nextProbeAt_ = Timestamp::MinusInfinity();
    // What the subscriptions want grew (a tile got bigger): probe for it
    // directly rather than doubling towards it. Not for the first desired
    // rate: the start estimate is a guess, and the exponential search from
    // it finds a small link without a large overshoot.
    probeAtDesired_ = desired_ > DataRate::Zero();
  }
  desired_ = desired;
}

void ProbeController::Failed(Timestamp now) {
  nextProbeAt_ = now + backoff_;
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  outstanding_.reset();
}

void ProbeController::OnProbeResult(int clusterId, DataRate measured, Timestamp now) {
  if (!outstanding_ || outstanding_->clusterId != clusterId) return;
  if (measured < outstanding_->rate * kCarriedRatio) {
    ceiling_ = measured;
    ceilingSeenAt_ = now;
  } else {
    ceiling_.reset();  // the path carried all we asked: whatever limited it before is gone
  }
  if (!ceiling_) {
    // Carried in full: the capacity is above what was probed, so go on at
    // once from the new estimate (exponential search, like libwebrtc's
    // "further probing"): 300 kbit/s reaches 2.4 Mbit/s in three probes,
    // within a second, instead of three seconds.
    nextProbeAt_ = now;
    backoff_ = kInitialBackoff;
    outstanding_.reset();
  } else if (measured >= outstanding_->estimateBefore * kSuccessRatio) {
    nextProbeAt_ = now + kIntervalAfterSuccess;
    backoff_ = kInitialBackoff;
    outstanding_.reset();
  } else {
    Failed(now);
  }
}

std::optional<ProbeRequest> ProbeController::Process(Timestamp now, DataRate estimate,
                                                     DataRate delayBased, BandwidthUsage usage) {
  if (outstanding_) {
    if (now < outstanding_->endsAt + kResultTimeout) return std::nullopt;
    Failed(now);  // nothing measurable came back
  }
  if (starved_ ? desired_ <= estimate : desired_ < estimate * kWorthProbingRatio) {
    return std::nullopt;
  }
  if (usage != BandwidthUsage::kNormal || now < nextProbeAt_) return std::nullopt;
  if (ceiling_ && now - ceilingSeenAt_ < kCeilingBlocksFor &&
      delayBased < *ceiling_ * kNearCeilingRatio) {
    return std::nullopt;
  }

  DataRate rate = probeAtDesired_ ? std::min(desired_, estimate * kMaxRaisedProbeMultiplier)
                                  : std::min(estimate * kProbeMultiplier, desired_);
  probeAtDesired_ = false;
  if (starved_) rate = std::max(rate, estimate * kMinProbeMultiplier);
  if (ceiling_) rate = std::min(rate, std::max(*ceiling_, estimate) * kCeilingMultiplier);
  ProbeRequest request{nextClusterId_, rate, kDuration, kMinPackets};
  nextClusterId_ = nextClusterId_ == std::numeric_limits<int>::max() ? 1 : nextClusterId_ + 1;
  outstanding_ = Outstanding{request.clusterId, rate, estimate, now + request.duration};
  return request;
}

}  // namespace myriad::congestion
