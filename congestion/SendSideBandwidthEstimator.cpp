#include "congestion/SendSideBandwidthEstimator.h"

#include <algorithm>

namespace myriad::congestion {

namespace {

constexpr int64_t kReferenceTimeSpace = int64_t{1} << 24;  // 24-bit field (3.1)

}  // namespace

SendSideBandwidthEstimator::SendSideBandwidthEstimator(const Options& options)
    : options_(options),
      aimd_(options.start, options.min, options.max),
      lossBased_(options.min, options.max),
      target_(std::clamp(options.start, options.min, options.max)) {
  // A feedback names each sequence number once, and only numbers in the history match.
  acked_.reserve(SentPacketHistory::kCapacity);
}

void SendSideBandwidthEstimator::OnPacketSent(uint16_t sequenceNumber, size_t bytes, Timestamp now,
                                              int probeClusterId) {
  if (probeClusterId >= 0) {
    sendingCluster_ = probeClusterId;
  } else if (sendingCluster_ >= 0 && probeController_.ClusterSending(sendingCluster_, now)) {
    probeClusterId = sendingCluster_;
  }
  history_.OnPacketSent(sequenceNumber, bytes, now, probeClusterId);
  if (probeClusterId >= 0) probeEstimator_.OnProbePacketSent(probeClusterId, now);
  if (!firstSendSinceFeedback_) firstSendSinceFeedback_ = now;
}

void SendSideBandwidthEstimator::SetDesiredRate(DataRate desired, bool starved) {
  probeController_.SetDesiredRate(desired, starved);
}

void SendSideBandwidthEstimator::OnRtt(TimeDelta rtt) {
  rtt_ = rtt;
  aimd_.SetRtt(rtt);
}

int64_t SendSideBandwidthEstimator::UnwrapReferenceTime(int32_t referenceTime) {
  if (lastReferenceTime_) {
    // The forward distance modulo 2^24, taken as signed: the shorter way round.
    int64_t delta = (int64_t{referenceTime} - *lastReferenceTime_) & (kReferenceTimeSpace - 1);
    if (delta >= kReferenceTimeSpace / 2) delta -= kReferenceTimeSpace;
    unwrappedReferenceTime_ += delta;
  } else {
    unwrappedReferenceTime_ = referenceTime;
  }
  lastReferenceTime_ = referenceTime;
  return unwrappedReferenceTime_;
}

void SendSideBandwidthEstimator::UpdateTarget() {
  target_ = std::clamp(std::min(aimd_.Estimate(), lossBased_.Bound()), options_.min, options_.max);
}

SendSideBandwidthEstimator::Result SendSideBandwidthEstimator::MakeResult(Timestamp now) {
  Result result;
  result.target = target_;
  result.delayBased = aimd_.Estimate();
  result.lossBased = lossBased_.Bound();
  result.lossRatio = lossBased_.LossRatio();
  result.usage = detector_.State();
  result.probe = probeController_.Process(now, target_, aimd_.Estimate(), detector_.State());
  result.probeMeasured = probeMeasured_;
  probeMeasured_.reset();
  return result;
}

void SendSideBandwidthEstimator::UpdateDelayBased(
    const std::optional<ProbeBitrateEstimator::Result>& probe, Timestamp now) {
  const BandwidthUsage usage = detector_.State();
  if (probe) {
    probeMeasured_ = probe;
    probeController_.OnProbeResult(probe->clusterId, probe->rate, now);
    lossBased_.OnProbeResult(probe->rate);
    if (usage != BandwidthUsage::kOverusing &&
        probe->rate >= aimd_.Estimate() * ProbeController::kSuccessRatio) {
      aimd_.SetEstimate(probe->rate, now);
      return;
    }
  }
  const DataRate rateBefore = aimd_.Estimate();
  aimd_.Update(usage, acknowledgedRate_.Rate(), now);
  if (usage == BandwidthUsage::kOverusing && aimd_.Estimate() < rateBefore) {
    probeController_.OnCeilingSeen(acknowledgedRate_.Rate().value_or(rateBefore), now);
  }
}

SendSideBandwidthEstimator::Result SendSideBandwidthEstimator::OnTransportFeedback(
    const rtp::TransportCcFeedback& feedback, Timestamp now) {
  firstSendSinceFeedback_.reset();
  lastFeedbackAt_ = now;
  idleReset_ = false;

  // Arrival times on one continuous subscriber clock: reference time (unwrapped) + deltas.
  const int64_t referenceUs = UnwrapReferenceTime(feedback.ReferenceTime()) *
                              rtp::TransportCcFeedback::kReferenceTimeTickUs;
  const int64_t toContinuousUs = referenceUs - feedback.ReferenceTimeUs();

  acked_.clear();
  size_t received = 0;
  size_t lost = 0;
  size_t receivedAfterLoss = 0;
  for (const rtp::TransportCcFeedback::PacketStatus& status : feedback) {
    const SentPacketHistory::ReportResult report = status.received
                                                       ? history_.OnReceived(status.sequenceNumber)
                                                       : history_.OnLost(status.sequenceNumber);
    switch (report.report) {
      case SentPacketHistory::Report::kUnknown:
        ++unknownFeedbackCount_;
        continue;
      case SentPacketHistory::Report::kRepeat:
        continue;
      case SentPacketHistory::Report::kReceivedAfterLoss:
        ++receivedAfterLoss;
        break;
      case SentPacketHistory::Report::kFirst:
        ++(status.received ? received : lost);
        break;
    }
    if (!status.received || acked_.size() == acked_.capacity()) continue;
    const SentPacketHistory::SentPacket& packet = *report.packet;
    acked_.push_back(AckedPacket{packet.sendTime,
                                 Timestamp::FromUs(status.arrivalTimeUs + toContinuousUs),
                                 packet.bytes, packet.probeClusterId, status.sequenceNumber});
  }

  // The delay chain wants arrival order; reordering on the path shows up here.
  std::sort(acked_.begin(), acked_.end(), [](const AckedPacket& a, const AckedPacket& b) {
    if (a.arrivalTime != b.arrivalTime) return a.arrivalTime < b.arrivalTime;
    return a.sendTime < b.sendTime;
  });
  for (const AckedPacket& packet : acked_) {
    acknowledgedRate_.OnPacketAcknowledged(packet.arrivalTime, packet.bytes);
    if (packet.probeClusterId >= 0) {
      probeEstimator_.OnProbePacketAcknowledged(packet.probeClusterId, packet.bytes,
                                                packet.sendTime, packet.arrivalTime);
    }
    const std::optional<InterArrivalDelta::Deltas> deltas =
        interArrival_.OnPacket(packet.sendTime, packet.arrivalTime, packet.bytes);
    if (!deltas) continue;
    trendline_.Update(deltas->sendDelta, deltas->arrivalDelta, deltas->arrivalTime);
    detector_.Detect(trendline_.ModifiedTrend(), deltas->sendDelta, trendline_.DeltaCount(),
                     deltas->arrivalTime);
  }

  // A report that settled none of our packets (unknown numbers, a duplicate) says nothing
  // about the path: in particular it must not count as "normal" and let the rate grow.
  if (received + lost + receivedAfterLoss > 0) {
    UpdateDelayBased(probeEstimator_.FetchResult(), now);
    lossBased_.OnFeedback(received, lost, receivedAfterLoss, target_, rtt_, now);
    UpdateTarget();
  }
  return MakeResult(now);
}

SendSideBandwidthEstimator::Result SendSideBandwidthEstimator::Process(Timestamp now) {
  if (firstSendSinceFeedback_ && now - *firstSendSinceFeedback_ > kFeedbackTimeout) {
    aimd_.SetEstimate(target_ * 0.5, now);
    firstSendSinceFeedback_ = now;  // the next halving only after another timeout
    UpdateTarget();
  }
  if (!firstSendSinceFeedback_ && !idleReset_ && lastFeedbackAt_ &&
      now - *lastFeedbackAt_ >= kIdleReset) {
    interArrival_.Reset();
    trendline_.Reset();
    detector_ = OveruseDetector();
    idleReset_ = true;
  }
  return MakeResult(now);
}

}  // namespace myriad::congestion
