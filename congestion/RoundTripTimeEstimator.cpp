#include "congestion/RoundTripTimeEstimator.h"

namespace myriad::congestion {

std::optional<int64_t> RoundTripTimeEstimator::OnReportBlock(uint32_t lastSenderReport,
                                                             uint32_t delaySinceLastSenderReport,
                                                             uint32_t arrivalNtpMiddle32) {
  // RFC 3550 6.4.1: LSR 0 means no sender report was received yet.
  if (lastSenderReport == 0) return std::nullopt;
  // Unsigned arithmetic wraps like the 32-bit NTP fields do; a result in the
  // upper half means the receiver's DLSR exceeds the elapsed time (clock
  // error or a forged block).
  const uint32_t rtt = arrivalNtpMiddle32 - lastSenderReport - delaySinceLastSenderReport;
  if (rtt >= 0x8000'0000U) return std::nullopt;
  const int64_t us = (static_cast<int64_t>(rtt) * 1'000'000) >> 16;
  if (us > kMaxPlausibleUs) return std::nullopt;
  latestUs_ = us;
  smoothedUs_ = smoothedUs_ ? *smoothedUs_ + (us - *smoothedUs_) / 8 : us;
  return us;
}

}  // namespace myriad::congestion
