#include "congestion/NackGenerator.h"

#include <algorithm>

#include "rtp/SequenceNumber.h"

namespace myriad::congestion {

NackGenerator::Result NackGenerator::OnPacket(uint16_t sequenceNumber, int64_t /*nowMs*/) {
  Result result;
  if (!highest_) {
    highest_ = sequenceNumber;
    return result;
  }
  if (rtp::IsSeqNewer(sequenceNumber, *highest_)) {
    const uint16_t gap = static_cast<uint16_t>(sequenceNumber - *highest_ - 1);
    if (gap > kMaxGap) {
      count_ = 0;
      result.keyFrameNeeded = true;
    } else {
      for (uint16_t s = static_cast<uint16_t>(*highest_ + 1); s != sequenceNumber; ++s) Add(s);
    }
    highest_ = sequenceNumber;
    return result;
  }
  // Late or retransmitted: no longer missing.
  for (size_t i = 0; i < count_; ++i) {
    if (missing_[i].sequenceNumber == sequenceNumber) {
      Remove(i);
      break;
    }
  }
  return result;
}

void NackGenerator::Add(uint16_t sequenceNumber) {
  if (count_ == kMaxMissing) Remove(0);  // the oldest is the least useful
  missing_[count_++] = Missing{sequenceNumber, -1, 0};
}

void NackGenerator::Remove(size_t index) {
  std::move(missing_.begin() + static_cast<ptrdiff_t>(index) + 1,
            missing_.begin() + static_cast<ptrdiff_t>(count_),
            missing_.begin() + static_cast<ptrdiff_t>(index));
  --count_;
}

size_t NackGenerator::Collect(int64_t nowMs, int64_t rttMs, std::span<uint16_t> out) {
  const int64_t interval = std::max<int64_t>(rttMs, 20);
  size_t written = 0;
  for (size_t i = 0; i < count_;) {
    Missing& m = missing_[i];
    if (m.retries >= kMaxRetries) {
      Remove(i);
      continue;
    }
    if ((m.lastRequestMs < 0 || nowMs - m.lastRequestMs >= interval) && written < out.size()) {
      out[written++] = m.sequenceNumber;
      m.lastRequestMs = nowMs;
      ++m.retries;
    }
    ++i;
  }
  return written;
}

}  // namespace myriad::congestion
