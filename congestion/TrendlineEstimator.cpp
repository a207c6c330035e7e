#include "congestion/TrendlineEstimator.h"

#include <algorithm>

namespace myriad::congestion {

namespace {

// Bounds the sample count so it cannot overflow in a long session; only min(count, 60) is used.
constexpr int kDeltaCountLimit = 1000;

}  // namespace

void TrendlineEstimator::Reset() { *this = TrendlineEstimator{}; }

double TrendlineEstimator::ModifiedTrend() const {
  return slope_ * std::min(deltaCount_, kMaxDeltaCount) * kThresholdGain;
}

std::optional<double> TrendlineEstimator::FitSlope() const {
  double sumX = 0;
  double sumY = 0;
  for (size_t i = 0; i < windowCount_; ++i) {
    sumX += window_[i].arrivalMs;
    sumY += window_[i].smoothedDelayMs;
  }
  const double meanX = sumX / static_cast<double>(windowCount_);
  const double meanY = sumY / static_cast<double>(windowCount_);
  double numerator = 0;
  double denominator = 0;
  for (size_t i = 0; i < windowCount_; ++i) {
    const double dx = window_[i].arrivalMs - meanX;
    numerator += dx * (window_[i].smoothedDelayMs - meanY);
    denominator += dx * dx;
  }
  if (denominator == 0) return std::nullopt;  // all points at one instant: no line
  return numerator / denominator;
}

void TrendlineEstimator::Update(TimeDelta sendDelta, TimeDelta arrivalDelta,
                                Timestamp arrivalTime) {
  deltaCount_ = std::min(deltaCount_ + 1, kDeltaCountLimit);
  if (!firstArrival_) firstArrival_ = arrivalTime;

  accumulatedDelayMs_ += (arrivalDelta - sendDelta).MsF();
  smoothedDelayMs_ =
      kSmoothingCoefficient * smoothedDelayMs_ + (1 - kSmoothingCoefficient) * accumulatedDelayMs_;

  window_[windowNext_] = Point{(arrivalTime - *firstArrival_).MsF(), smoothedDelayMs_};
  windowNext_ = (windowNext_ + 1) % kWindowSize;
  windowCount_ = std::min(windowCount_ + 1, kWindowSize);

  if (windowCount_ == kWindowSize) {
    if (const std::optional<double> slope = FitSlope()) slope_ = *slope;
  }
}

}  // namespace myriad::congestion
