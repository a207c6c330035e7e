#pragma once

#include <cstdint>
#include <optional>

namespace myriad::congestion {

// The round-trip time to a receiver, from the report blocks it returns for
// the streams we send it (RFC 3550 6.4.1): RTT = A - LSR - DLSR, where A is
// the middle 32 bits of the NTP time the report arrived, LSR the middle 32
// bits of our sender report it answers and DLSR the receiver's delay between
// the two; all in 1/65536 s. The retransmission logic (is a NACKed packet
// still useful?) and the bandwidth estimator need it.
//
// One sample per report block: a receiver of ten streams returns ten blocks
// per report with nearly the same answer, so samples are smoothed (1/8 weight
// like RFC 6298's SRTT) and the newest is kept too.
//
// Pure logic: the arrival time is passed in.
class RoundTripTimeEstimator {
 public:
  // Samples above this are treated as garbage (a clock step, a forged report).
  static constexpr int64_t kMaxPlausibleUs = 10'000'000;

  // A report block arrived at `arrivalNtpMiddle32`. Returns the sample in
  // microseconds, or nullopt when the block carries no LSR (the receiver has
  // not seen a sender report yet) or the result is implausible.
  std::optional<int64_t> OnReportBlock(uint32_t lastSenderReport,
                                       uint32_t delaySinceLastSenderReport,
                                       uint32_t arrivalNtpMiddle32);

  // Smoothed RTT, or nullopt before the first sample.
  std::optional<int64_t> SmoothedUs() const { return smoothedUs_; }
  std::optional<int64_t> LatestUs() const { return latestUs_; }
  // The smoothed value in milliseconds, or `fallbackMs` before any sample.
  int64_t SmoothedMsOr(int64_t fallbackMs) const {
    return smoothedUs_ ? (*smoothedUs_ + 500) / 1000 : fallbackMs;
  }

 private:
  std::optional<int64_t> smoothedUs_;
  std::optional<int64_t> latestUs_;
};

}  // namespace myriad::congestion
