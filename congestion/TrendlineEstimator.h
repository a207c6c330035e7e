#pragma once

#include <array>
#include <cstddef>
#include <optional>

#include "congestion/TimeDelta.h"
#include "congestion/Timestamp.h"

namespace myriad::congestion {

// Estimates whether the bottleneck queue is growing from the per-group delay samples of
// InterArrivalDelta (GoogCC's trendline filter, the successor of the Kalman filter in
// draft-ietf-rmcat-gcc-02 section 5.3).
//
// Each sample's delay variation (arrival delta - send delta) is added to an accumulated delay,
// which is exponentially smoothed; the slope of a least-squares line through the last
// kWindowSize (arrival time, smoothed delay) points is the trend: about 0 while the queue is
// steady, positive while it fills (the sending rate exceeds the capacity by that fraction),
// negative while it drains. The detector compares the modified trend
// slope * min(samples, kMaxDeltaCount) * kThresholdGain against its threshold: scaling by the
// sample count keeps the first few noisy slopes from triggering anything.
class TrendlineEstimator {
 public:
  static constexpr size_t kWindowSize = 20;
  static constexpr double kSmoothingCoefficient = 0.9;
  static constexpr double kThresholdGain = 4.0;
  static constexpr int kMaxDeltaCount = 60;

  // Adds one group sample. The slope is recomputed once the window is full.
  void Update(TimeDelta sendDelta, TimeDelta arrivalDelta, Timestamp arrivalTime);

  double Slope() const { return slope_; }  // ms of queueing delay gained per ms
  double ModifiedTrend() const;
  int DeltaCount() const { return deltaCount_; }
  double SmoothedDelayMs() const { return smoothedDelayMs_; }

  void Reset();

 private:
  struct Point {
    double arrivalMs = 0;
    double smoothedDelayMs = 0;
  };

  std::optional<double> FitSlope() const;

  std::array<Point, kWindowSize> window_{};
  size_t windowCount_ = 0;
  size_t windowNext_ = 0;  // where the next point goes (ring)
  std::optional<Timestamp> firstArrival_;
  double accumulatedDelayMs_ = 0;
  double smoothedDelayMs_ = 0;
  int deltaCount_ = 0;
  double slope_ = 0;
};

}  // namespace myriad::congestion
