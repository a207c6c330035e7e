#pragma once

#include <cstddef>
#include <optional>

#include "congestion/BandwidthUsage.h"
#include "congestion/DataRate.h"
#include "congestion/TimeDelta.h"
#include "congestion/Timestamp.h"

namespace myriad::congestion {

// The delay-based rate: additive-increase / multiplicative-decrease driven by the overuse
// detector (GoogCC, draft-ietf-rmcat-gcc-02 section 5.5).
//
// State machine: overusing -> decrease (then hold), underusing -> hold (the queue drains;
// increasing now would refill it), normal -> increase (from hold).
//
// - Decrease: to kBeta x the acknowledged throughput (what actually got through the
//   bottleneck, not what we were sending), never upwards. While the detector keeps saying
//   overusing, further decreases wait clamp(RTT, 10 ms, 200 ms) so a decrease can take effect
//   before the next one, unless the throughput fell below half the rate.
// - Link capacity: each decrease feeds the throughput into an exponentially averaged estimate
//   of the link capacity with its variance. Near it (an estimate exists) the increase is
//   additive, about one packet per response time (RTT + 100 ms): slow probing where the queue
//   is known to start. A throughput above the estimate's upper bound (mean + 3 standard
//   deviations), or a decrease at a throughput below its lower bound, means the path changed:
//   the estimate is dropped and the increase is multiplicative again.
// - Far from it: multiplicative, kIncreasePerSecond (8%) per second, at least 1 kbit/s a step.
// - An increase never goes above 1.5 x the acknowledged throughput + 10 kbit/s: a sender that
//   does not use its rate learns nothing about the path, so the rate cannot run away.
//
// Everything stays within [min, max].
class AimdRateControl {
 public:
  enum class State { kHold, kIncrease, kDecrease };

  static constexpr double kBeta = 0.85;
  static constexpr double kIncreasePerSecond = 0.08;
  static constexpr DataRate kMinMultiplicativeStep = DataRate::FromKbps(1);
  static constexpr DataRate kMinAdditivePerSecond = DataRate::FromKbps(4);
  static constexpr size_t kMaxPacketBytes = 1200;
  static constexpr double kAssumedFramesPerSecond = 30;
  static constexpr TimeDelta kResponseTimeExtra = TimeDelta::FromMs(100);
  static constexpr TimeDelta kDefaultRtt = TimeDelta::FromMs(200);
  static constexpr double kThroughputCapFactor = 1.5;
  static constexpr DataRate kThroughputCapExtra = DataRate::FromKbps(10);
  static constexpr double kCapacitySmoothing = 0.05;

  AimdRateControl(DataRate start, DataRate min, DataRate max);

  // One feedback's conclusion. `acknowledged` is the throughput of acknowledged packets, if
  // known yet. Returns the new rate.
  DataRate Update(BandwidthUsage usage, std::optional<DataRate> acknowledged, Timestamp now);

  // Sets the rate outright (a successful probe, a feedback timeout), within [min, max].
  void SetEstimate(DataRate rate, Timestamp now);
  void SetRtt(TimeDelta rtt) { rtt_ = rtt; }

  DataRate Estimate() const { return rate_; }
  State CurrentState() const { return state_; }
  std::optional<DataRate> LinkCapacity() const;
  // The additive step in bit/s per second at the current rate and RTT.
  DataRate AdditiveIncreasePerSecond() const;

 private:
  void ChangeState(BandwidthUsage usage, Timestamp now);
  DataRate Increased(std::optional<DataRate> acknowledged, Timestamp now);
  DataRate Decreased(std::optional<DataRate> acknowledged);
  bool MayDecreaseAgain(std::optional<DataRate> acknowledged, Timestamp now) const;
  void UpdateLinkCapacity(DataRate sample);
  double CapacityStdDevKbps() const;
  DataRate Clamp(DataRate rate) const;

  DataRate min_;
  DataRate max_;
  DataRate rate_;
  State state_ = State::kHold;
  TimeDelta rtt_ = kDefaultRtt;
  std::optional<Timestamp> lastChange_;
  std::optional<Timestamp> lastDecrease_;
  std::optional<double> capacityKbps_;
  double capacityVariance_ = 0.4;  // normalised by the estimate, kbit/s
};

}  // namespace myriad::congestion
