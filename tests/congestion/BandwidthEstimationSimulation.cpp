#include "tests/congestion/BandwidthEstimationSimulation.h"

#include <algorithm>
#include <span>

#include "rtp/TransportCcFeedback.h"

namespace myriad::congestion {

BandwidthEstimationSimulation::BandwidthEstimationSimulation(const Options& options)
    : options_(options),
      estimator_(options.estimator),
      link_(options.link),
      builder_(0x1111, 0x2222),
      random_(options.seed) {
  nextFeedback_ = now_ + options_.minFeedbackInterval;
  estimator_.SetDesiredRate(options_.desired);
  estimator_.OnRtt(options_.link.oneWayDelay * 2);
  last_.target = estimator_.Target();
}

void BandwidthEstimationSimulation::Apply(const SendSideBandwidthEstimator::Result& result) {
  last_ = result;
  if (result.probe && !probe_) {
    probe_ = result.probe;
    probeEnd_ = now_ + result.probe->duration;
    nextSend_ = std::min(nextSend_, now_);
    ++probesSent_;
  }
}

void BandwidthEstimationSimulation::SendPacket() {
  if (probe_ && now_ >= probeEnd_) probe_.reset();
  std::uniform_int_distribution<size_t> size(options_.minPacketBytes, options_.maxPacketBytes);
  size_t bytes = size(random_);
  if (probe_) {
    // Padding sized so the cluster has its minimum packet count.
    const auto clusterBytes = static_cast<size_t>(probe_->rate.BytesIn(probe_->duration));
    bytes = std::clamp<size_t>(clusterBytes / static_cast<size_t>(probe_->minPackets), 100,
                               options_.maxPacketBytes);
  }
  const DataRate rate = probe_ ? probe_->rate : estimator_.Target();
  const int cluster = probe_ ? probe_->clusterId : -1;

  const uint16_t seq = nextSequenceNumber_++;
  estimator_.OnPacketSent(seq, bytes, now_, cluster);
  if (const std::optional<Timestamp> arrival = link_.Send(bytes, now_)) {
    inFlight_.emplace_back(*arrival, seq);
  }
  nextSend_ = now_ + rate.TimeToSend(static_cast<int64_t>(bytes));
}

void BandwidthEstimationSimulation::SerializeFeedback() {
  std::vector<uint8_t> packet(builder_.SerializedSize());
  if (packet.empty()) return;
  builder_.Serialize(packet);
  builder_.StartNextFeedback();
  feedbackOnTheWay_.emplace_back(now_ + link_.OneWayDelay(), std::move(packet));
}

void BandwidthEstimationSimulation::BuildFeedback() {
  // FIFO path: arrivals are in order, so everything up to now has arrived.
  while (!inFlight_.empty() && inFlight_.front().first <= now_) {
    const auto [arrival, seq] = inFlight_.front();
    inFlight_.pop_front();
    const int64_t receiverUs = (arrival + options_.receiverClockOffset).Us();
    if (builder_.AddReceivedPacket(seq, receiverUs) ==
        rtp::TransportCcFeedbackBuilder::AddResult::kFeedbackFull) {
      SerializeFeedback();
      builder_.AddReceivedPacket(seq, receiverUs);
    }
  }
  SerializeFeedback();
  std::uniform_int_distribution<int64_t> interval(options_.minFeedbackInterval.Us(),
                                                  options_.maxFeedbackInterval.Us());
  nextFeedback_ = now_ + TimeDelta::FromUs(interval(random_));
}

void BandwidthEstimationSimulation::Deliver(std::vector<uint8_t> packet) {
  const std::optional<rtp::TransportCcFeedback> feedback =
      rtp::TransportCcFeedback::Parse(std::span<uint8_t>(packet));
  if (!feedback) return;
  ++feedbackPackets_;
  Apply(estimator_.OnTransportFeedback(*feedback, now_));
}

void BandwidthEstimationSimulation::RunUntil(Timestamp end) {
  while (true) {
    Timestamp next = std::min({nextSend_, nextFeedback_, nextProcess_, nextSample_});
    if (!feedbackOnTheWay_.empty()) next = std::min(next, feedbackOnTheWay_.front().first);
    if (next > end) break;
    now_ = next;
    if (!feedbackOnTheWay_.empty() && feedbackOnTheWay_.front().first <= now_) {
      std::vector<uint8_t> packet = std::move(feedbackOnTheWay_.front().second);
      feedbackOnTheWay_.pop_front();
      Deliver(std::move(packet));
    } else if (nextSend_ <= now_) {
      SendPacket();
    } else if (nextFeedback_ <= now_) {
      BuildFeedback();
    } else if (nextProcess_ <= now_) {
      Apply(estimator_.Process(now_));
      nextProcess_ = now_ + options_.processInterval;
    } else {
      samples_.push_back(Sample{now_, last_,
                                estimator_.AcknowledgedRate().value_or(DataRate::Zero()),
                                link_.QueuedBytes(now_)});
      nextSample_ = now_ + options_.sampleInterval;
    }
  }
  now_ = end;
}

std::optional<Timestamp> BandwidthEstimationSimulation::SettledWithin(DataRate low, DataRate high,
                                                                      Timestamp from) const {
  std::optional<Timestamp> settled;
  for (const Sample& sample : samples_) {
    if (sample.time < from) continue;
    const bool inside = sample.result.target >= low && sample.result.target <= high;
    if (!inside) {
      settled.reset();
    } else if (!settled) {
      settled = sample.time;
    }
  }
  return settled;
}

}  // namespace myriad::congestion
