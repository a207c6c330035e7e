#include "congestion/LossBasedEstimator.h"

#include <algorithm>
#include <cmath>

namespace myriad::congestion {

namespace {

// A pause in feedback longer than this does not count as time the bound could have grown.
constexpr TimeDelta kMaxIncreaseStep = TimeDelta::FromSeconds(1);

}  // namespace

LossBasedEstimator::LossBasedEstimator(DataRate min, DataRate max)
    : min_(min), max_(max), bound_(max) {}

void LossBasedEstimator::OnProbeResult(DataRate rate) {
  if (lossRatio_ < kLowLoss) bound_ = std::clamp(std::max(bound_, rate), min_, max_);
}

bool LossBasedEstimator::OnFeedback(size_t received, size_t lost, size_t receivedAfterLoss,
                                    DataRate currentTarget, TimeDelta rtt, Timestamp now) {
  if (!windowStart_) windowStart_ = now;
  windowReceived_ += static_cast<int64_t>(received + receivedAfterLoss);
  windowLost_ = std::max<int64_t>(
      0, windowLost_ + static_cast<int64_t>(lost) - static_cast<int64_t>(receivedAfterLoss));
  const int64_t expected = windowReceived_ + windowLost_;
  if (expected < static_cast<int64_t>(kMinWindowPackets) || now - *windowStart_ < kMinWindow) {
    return false;
  }

  lossRatio_ = static_cast<double>(windowLost_) / static_cast<double>(expected);
  windowReceived_ = 0;
  windowLost_ = 0;
  windowStart_ = now;
  const TimeDelta sinceLastWindow =
      lastWindowEnd_ ? std::clamp(now - *lastWindowEnd_, TimeDelta::Zero(), kMaxIncreaseStep)
                     : TimeDelta::Zero();
  lastWindowEnd_ = now;

  if (lossRatio_ > kHighLoss) {
    if (!lastDecrease_ || now - *lastDecrease_ >= kDecreaseInterval + rtt) {
      bound_ = std::min(bound_, currentTarget) * (1 - 0.5 * lossRatio_);
      lastDecrease_ = now;
    }
  } else if (lossRatio_ < kLowLoss && bound_ < max_) {
    const double factor = std::pow(1 + kIncreasePerSecond, sinceLastWindow.SecondsF());
    bound_ = bound_ * factor + kIncreaseExtra;
  }
  bound_ = std::clamp(bound_, min_, max_);
  return true;
}

}  // namespace myriad::congestion
