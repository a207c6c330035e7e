#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "congestion/DataRate.h"
#include "congestion/SendSideBandwidthEstimator.h"
#include "congestion/TimeDelta.h"
#include "congestion/Timestamp.h"
#include "rtp/TransportCcFeedbackBuilder.h"
#include "tests/congestion/SimulatedBottleneck.h"

namespace myriad::congestion {

// Test-only closed loop: a sender paced at the estimator's target (packets of about 1200 bytes,
// probe clusters when asked) -> SimulatedBottleneck -> a receiver that reports arrivals every
// 50-100 ms in real transport-cc feedback (TransportCcFeedbackBuilder, on its own clock, far
// from the sender's) -> back after the one-way delay, parsed with TransportCcFeedback::Parse
// -> SendSideBandwidthEstimator. Deterministic: one seeded generator for sizes and intervals.
class BandwidthEstimationSimulation {
 public:
  struct Options {
    SendSideBandwidthEstimator::Options estimator;
    SimulatedBottleneck::Options link;
    DataRate desired = DataRate::Zero();
    TimeDelta minFeedbackInterval = TimeDelta::FromMs(50);
    TimeDelta maxFeedbackInterval = TimeDelta::FromMs(100);
    TimeDelta processInterval = TimeDelta::FromMs(25);
    TimeDelta sampleInterval = TimeDelta::FromMs(100);
    size_t minPacketBytes = 1100;
    size_t maxPacketBytes = 1200;
    // The receiver's clock is this far ahead of the sender's.
    TimeDelta receiverClockOffset = TimeDelta::FromSeconds(1000);
    uint32_t seed = 7;
  };

  struct Sample {
    Timestamp time;
    SendSideBandwidthEstimator::Result result;
    DataRate acknowledged;  // zero until known
    int64_t queuedBytes = 0;
  };

  explicit BandwidthEstimationSimulation(const Options& options);

  void RunUntil(Timestamp end);
  void SetCapacity(DataRate capacity) { link_.SetCapacity(capacity, now_); }
  void SetDesired(DataRate desired) { estimator_.SetDesiredRate(desired); }

  Timestamp Now() const { return now_; }
  const std::vector<Sample>& Samples() const { return samples_; }
  const SendSideBandwidthEstimator::Result& LastResult() const { return last_; }
  SendSideBandwidthEstimator& Estimator() { return estimator_; }
  SimulatedBottleneck& Link() { return link_; }
  int ProbesSent() const { return probesSent_; }
  uint64_t FeedbackPackets() const { return feedbackPackets_; }

  // The earliest sample time from `from` on after which every sample's target lies in
  // [low, high]; nullopt if the last sample is outside.
  std::optional<Timestamp> SettledWithin(DataRate low, DataRate high, Timestamp from) const;

 private:
  void SendPacket();
  void BuildFeedback();
  void Deliver(std::vector<uint8_t> packet);
  void Apply(const SendSideBandwidthEstimator::Result& result);
  void SerializeFeedback();

  Options options_;
  SendSideBandwidthEstimator estimator_;
  SimulatedBottleneck link_;
  rtp::TransportCcFeedbackBuilder builder_;
  std::mt19937 random_;

  Timestamp now_ = Timestamp::FromMs(0);
  Timestamp nextSend_ = Timestamp::FromMs(0);
  Timestamp nextFeedback_;
  Timestamp nextProcess_ = Timestamp::FromMs(0);
  Timestamp nextSample_ = Timestamp::FromMs(0);
  uint16_t nextSequenceNumber_ = 65000;                  // wraps early in every run
  std::deque<std::pair<Timestamp, uint16_t>> inFlight_;  // arrival (sender clock), seq
  std::deque<std::pair<Timestamp, std::vector<uint8_t>>> feedbackOnTheWay_;

  std::optional<ProbeRequest> probe_;
  Timestamp probeEnd_;
  int probesSent_ = 0;
  uint64_t feedbackPackets_ = 0;

  SendSideBandwidthEstimator::Result last_;
  std::vector<Sample> samples_;
};

}  // namespace myriad::congestion
