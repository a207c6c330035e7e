#include "congestion/ReceiveStatistics.h"

#include <algorithm>
#include <cmath>

#include "rtp/SequenceNumber.h"

namespace myriad::congestion {

void ReceiveStatistics::OnPacket(uint16_t sequenceNumber, uint32_t rtpTimestamp,
                                 int64_t arrivalUs) {
  if (!started_) {
    started_ = true;
    baseSequence_ = sequenceNumber;
    maxSequence_ = sequenceNumber;
  } else if (rtp::IsSeqNewer(sequenceNumber, maxSequence_)) {
    if (sequenceNumber < maxSequence_) cycles_ += 1u << 16;  // wrapped
    maxSequence_ = sequenceNumber;
  }
  ++received_;

  // RFC 3550 A.8: interarrival jitter from the transit time difference.
  const int64_t arrivalRtp = arrivalUs * clockRate_ / 1'000'000;
  const int64_t transit = arrivalRtp - static_cast<int64_t>(rtpTimestamp);
  if (lastTransit_) {
    // Only consecutive transit differences of plausible size: a timestamp
    // jump (a new talk spurt, a source switch) is not network jitter.
    const int64_t d = std::llabs(transit - *lastTransit_);
    if (d < static_cast<int64_t>(clockRate_) * 5)
      jitter_ += (static_cast<double>(d) - jitter_) / 16.0;
  }
  lastTransit_ = transit;
}

std::optional<ReceiveStatistics::Report> ReceiveStatistics::MakeReport() {
  if (!started_) return std::nullopt;
  Report report;
  const uint64_t extendedMax = cycles_ + maxSequence_;
  report.extendedHighestSequence = static_cast<uint32_t>(extendedMax);
  const uint64_t expected = extendedMax - baseSequence_ + 1;
  const int64_t lost = static_cast<int64_t>(expected) - static_cast<int64_t>(received_);
  report.cumulativeLost = static_cast<int32_t>(std::clamp<int64_t>(lost, -0x800000, 0x7FFFFF));
  const uint64_t expectedInterval = expected - expectedPrior_;
  const uint64_t receivedInterval = received_ - receivedPrior_;
  expectedPrior_ = expected;
  receivedPrior_ = received_;
  const int64_t lostInterval =
      static_cast<int64_t>(expectedInterval) - static_cast<int64_t>(receivedInterval);
  if (expectedInterval > 0 && lostInterval > 0) {
    report.fractionLost =
        static_cast<uint8_t>((lostInterval << 8) / static_cast<int64_t>(expectedInterval));
  }
  report.jitter = static_cast<uint32_t>(jitter_);
  return report;
}

}  // namespace myriad::congestion
