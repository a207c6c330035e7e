#include "congestion/TransportFeedbackPacer.h"

#include <algorithm>
#include <cmath>

namespace myriad::congestion {

bool TransportFeedbackPacer::IsDue(int64_t nowMs) {
  if (!windowStartMs_) {
    windowStartMs_ = nowMs;
    return false;
  }
  const int64_t elapsedMs = nowMs - *windowStartMs_;
  if (elapsedMs < intervalMs_) return false;
  // interval = report bits / (share * received bits per second)
  const double bitsPerSecond = static_cast<double>(bytesInWindow_) * 8.0 * 1000.0 /
                               static_cast<double>(std::max<int64_t>(1, elapsedMs));
  const double budget = kRateShare * bitsPerSecond;
  const double wantedMs = budget > 0 ? static_cast<double>(kReportBytes) * 8.0 * 1000.0 / budget
                                     : static_cast<double>(kMaxIntervalMs);
  intervalMs_ = std::clamp<int64_t>(std::llround(wantedMs), kMinIntervalMs, kMaxIntervalMs);
  windowStartMs_ = nowMs;
  bytesInWindow_ = 0;
  return true;
}

}  // namespace myriad::congestion
