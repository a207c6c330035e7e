#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "congestion/DataRate.h"
#include "congestion/TimeDelta.h"
#include "congestion/Timestamp.h"

namespace myriad::congestion {

// The rate at which acknowledged packets arrived at the subscriber, over a sliding window of
// arrival time: what actually got through the bottleneck, which the delay-based control
// decreases to and caps its increases with.
//
// The rate is the bytes of the packets after the window's first over the time from its first
// arrival to its last, so a steady stream measures exactly its rate whether or not the window
// is full. It needs kMinSpan of arrivals to say anything; until then, and whenever the window
// holds too short a span (a stream too sparse for it), the last rate measured stands.
//
// Samples live in a ring of kMaxSamples allocated at construction (500 ms at 20 Mbit/s of
// 1200-byte packets is ~1000 packets); if it fills, the oldest samples go early and the window
// is shorter.
class AcknowledgedBitrateEstimator {
 public:
  static constexpr TimeDelta kWindow = TimeDelta::FromMs(500);
  static constexpr TimeDelta kMinSpan = TimeDelta::FromMs(150);
  static constexpr size_t kMaxSamples = 4096;

  AcknowledgedBitrateEstimator();

  // Packets should come in arrival order (feedback sorted by arrival time); a packet that
  // arrived before the newest one seen counts as arriving with it.
  void OnPacketAcknowledged(Timestamp arrivalTime, size_t bytes);

  std::optional<DataRate> Rate() const { return rate_; }

 private:
  struct Sample {
    Timestamp arrivalTime;
    int64_t bytes = 0;
  };

  void PopFront();

  std::vector<Sample> ring_;
  size_t front_ = 0;
  size_t count_ = 0;
  int64_t windowBytes_ = 0;
  std::optional<DataRate> rate_;
};

}  // namespace myriad::congestion
