#include "loadtest/SequenceGapCounter.h"

namespace myriad::loadtest {

void SequenceGapCounter::Add(uint16_t sequenceNumber) {
  ++received_;
  if (!started_) {
    started_ = true;
    first_ = highest_ = sequenceNumber;
    return;
  }
  // RFC 3550 A.1: a number less than half the space ahead is newer; going
  // past 65535 starts a new cycle.
  const auto ahead = static_cast<uint16_t>(sequenceNumber - highest_);
  if (ahead == 0 || ahead >= 0x8000) return;  // duplicate or late
  if (sequenceNumber < highest_) cycles_ += 65536;
  highest_ = sequenceNumber;
}

uint64_t SequenceGapCounter::Expected() const {
  if (!started_) return 0;
  return cycles_ + highest_ - first_ + 1;
}

uint64_t SequenceGapCounter::Lost() const {
  const uint64_t expected = Expected();
  return expected > received_ ? expected - received_ : 0;
}

}  // namespace myriad::loadtest
