#include "congestion/RetransmissionGate.h"

#include <algorithm>

namespace myriad::congestion {

RetransmissionGate::Decision RetransmissionGate::Check(uint16_t sequenceNumber, int64_t storedAtMs,
                                                       int64_t nowMs, int64_t rttMs) {
  const int64_t maxAge = video_ ? kVideoMaxUsefulAgeMs : kAudioMaxUsefulAgeMs;
  // Its age when the copy reaches the receiver.
  if (nowMs - storedAtMs + rttMs / 2 > maxAge) return Decision::kTooOld;
  Resend& slot = recent_[sequenceNumber % kRecent];
  if (slot.used && slot.sequenceNumber == sequenceNumber &&
      nowMs - slot.atMs < std::max(rttMs, kMinResendIntervalMs)) {
    return Decision::kResentWithinRtt;
  }
  slot = Resend{true, sequenceNumber, nowMs};
  return Decision::kSend;
}

}  // namespace myriad::congestion
