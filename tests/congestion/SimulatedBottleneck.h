#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>

#include "congestion/DataRate.h"
#include "congestion/TimeDelta.h"
#include "congestion/Timestamp.h"

namespace myriad::congestion {

// Test-only network path: random loss (seeded), then a FIFO bottleneck of a given capacity
// with a bounded queue (tail drop), then a fixed one-way delay. Send() returns when the packet
// arrives (the sender's clock) or nullopt if it was dropped. An infinite capacity is an
// uncapped path: no queue, only the delay.
//
// The queue is a backlog of bits drained at the capacity in force; a capacity change applies
// to packets sent after it (those already queued keep the arrival time they were given).
class SimulatedBottleneck {
 public:
  struct Options {
    DataRate capacity = DataRate::FromKbps(500);
    size_t queueBytes = 60'000;
    TimeDelta oneWayDelay = TimeDelta::FromMs(40);
    double randomLoss = 0;
    uint32_t seed = 1;
  };

  explicit SimulatedBottleneck(const Options& options);

  std::optional<Timestamp> Send(size_t bytes, Timestamp now);
  void SetCapacity(DataRate capacity, Timestamp now);

  int64_t QueuedBytes(Timestamp now);
  uint64_t QueueDrops() const { return queueDrops_; }
  uint64_t RandomDrops() const { return randomDrops_; }
  TimeDelta OneWayDelay() const { return options_.oneWayDelay; }

 private:
  void Drain(Timestamp now);

  Options options_;
  std::mt19937 random_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  double backlogBits_ = 0;
  Timestamp lastDrain_;
  uint64_t queueDrops_ = 0;
  uint64_t randomDrops_ = 0;
};

}  // namespace myriad::congestion
