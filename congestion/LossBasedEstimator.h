#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "congestion/DataRate.h"
#include "congestion/TimeDelta.h"
#include "congestion/Timestamp.h"

namespace myriad::congestion {

// An upper bound on the send rate from packet loss (GoogCC's loss-based control,
// draft-ietf-rmcat-gcc-02 section 6). The delay-based control sees a queue build up; this one
// catches what it cannot: a shallow buffer that drops before any delay shows, or a policer.
//
// Loss is measured over windows of at least kMinWindowPackets packets and kMinWindow of
// feedback (a handful of packets says nothing about a 2% threshold). When a window closes:
// - loss > 10%: bound = min(bound, current target) x (1 - 0.5 x loss), at most once per
//   kDecreaseInterval + RTT so one burst of loss, reported in several windows before the
//   decrease can take effect, cuts once;
// - loss < 2%: the bound grows by kIncreasePerSecond (8%) per second since the last window,
//   plus 1 kbit/s, until it no longer binds (at max);
// - in between: hold.
// It starts unbounded (at max), so it only ever limits a path that lost packets.
class LossBasedEstimator {
 public:
  static constexpr double kLowLoss = 0.02;
  static constexpr double kHighLoss = 0.10;
  static constexpr size_t kMinWindowPackets = 20;
  static constexpr TimeDelta kMinWindow = TimeDelta::FromMs(500);
  static constexpr TimeDelta kDecreaseInterval = TimeDelta::FromMs(300);
  static constexpr double kIncreasePerSecond = 0.08;
  static constexpr DataRate kIncreaseExtra = DataRate::FromKbps(1);

  LossBasedEstimator(DataRate min, DataRate max);

  // One feedback's newly settled packets: received, lost, and received after an earlier
  // feedback had reported them lost (taken back off the loss count). Returns true when a
  // window closed (LossRatio and Bound are new).
  bool OnFeedback(size_t received, size_t lost, size_t receivedAfterLoss, DataRate currentTarget,
                  TimeDelta rtt, Timestamp now);

  // A probe showed the path carries `rate`: while loss is low, the bound follows at once.
  void OnProbeResult(DataRate rate);

  DataRate Bound() const { return bound_; }
  double LossRatio() const { return lossRatio_; }

 private:
  DataRate min_;
  DataRate max_;
  DataRate bound_;
  double lossRatio_ = 0;
  int64_t windowReceived_ = 0;
  int64_t windowLost_ = 0;
  std::optional<Timestamp> windowStart_;
  std::optional<Timestamp> lastWindowEnd_;
  std::optional<Timestamp> lastDecrease_;
};

}  // namespace myriad::congestion
