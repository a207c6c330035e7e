#pragma once

#include <cstdint>

namespace myriad::loadtest {

// Loss of one received RTP stream from its sequence numbers, the way RFC
// 3550 A.3 counts it for receiver reports: expected = extended highest -
// first + 1, lost = expected - received (late packets fill their gap again;
// duplicates can make it negative, which reads as 0).
class SequenceGapCounter {
 public:
  void Add(uint16_t sequenceNumber);

  uint64_t Received() const { return received_; }
  uint64_t Expected() const;
  uint64_t Lost() const;

 private:
  bool started_ = false;
  uint16_t first_ = 0;
  uint16_t highest_ = 0;
  uint64_t cycles_ = 0;  // wraps of the 16-bit number, times 65536
  uint64_t received_ = 0;
};

}  // namespace myriad::loadtest
