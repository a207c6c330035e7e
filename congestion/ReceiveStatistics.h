#pragma once

#include <cstdint>
#include <optional>

namespace myriad::congestion {

// Reception statistics of one incoming RTP stream, as a receiver report
// block needs them (RFC 3550 6.4.1 and A.3, A.8). Pure logic, time passed in.
class ReceiveStatistics {
 public:
  explicit ReceiveStatistics(uint32_t clockRate) : clockRate_(clockRate) {}

  void OnPacket(uint16_t sequenceNumber, uint32_t rtpTimestamp, int64_t arrivalUs);

  struct Report {
    uint8_t fractionLost = 0;    // since the previous report, /256
    int32_t cumulativeLost = 0;  // 24-bit signed on the wire
    uint32_t extendedHighestSequence = 0;
    uint32_t jitter = 0;  // in RTP timestamp units
  };
  // Computes a report block's statistics and starts a new interval.
  std::optional<Report> MakeReport();

  uint64_t PacketsReceived() const { return received_; }

 private:
  uint32_t clockRate_;
  bool started_ = false;
  uint16_t baseSequence_ = 0;
  uint16_t maxSequence_ = 0;
  uint32_t cycles_ = 0;  // count of sequence number wraps, shifted by 16
  uint64_t received_ = 0;
  uint64_t expectedPrior_ = 0;
  uint64_t receivedPrior_ = 0;
  double jitter_ = 0;
  std::optional<int64_t> lastTransit_;
};

}  // namespace myriad::congestion
