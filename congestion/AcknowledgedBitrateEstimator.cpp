#include "congestion/AcknowledgedBitrateEstimator.h"

#include <algorithm>

namespace myriad::congestion {

AcknowledgedBitrateEstimator::AcknowledgedBitrateEstimator() : ring_(kMaxSamples) {}

void AcknowledgedBitrateEstimator::PopFront() {
  windowBytes_ -= ring_[front_].bytes;
  front_ = (front_ + 1) % kMaxSamples;
  --count_;
}

void AcknowledgedBitrateEstimator::OnPacketAcknowledged(Timestamp arrivalTime, size_t bytes) {
  if (count_ > 0) {
    const Timestamp newest = ring_[(front_ + count_ - 1) % kMaxSamples].arrivalTime;
    arrivalTime = std::max(arrivalTime, newest);
  }
  if (count_ == kMaxSamples) PopFront();
  ring_[(front_ + count_) % kMaxSamples] = Sample{arrivalTime, static_cast<int64_t>(bytes)};
  ++count_;
  windowBytes_ += static_cast<int64_t>(bytes);
  while (count_ > 1 && ring_[front_].arrivalTime <= arrivalTime - kWindow) PopFront();

  const Sample& first = ring_[front_];
  const TimeDelta span = arrivalTime - first.arrivalTime;
  if (span >= kMinSpan) rate_ = DataRate::FromBytesPer(windowBytes_ - first.bytes, span);
}

}  // namespace myriad::congestion
