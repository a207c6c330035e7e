#include "simulcast/AudioLevelSmoother.h"

#include <algorithm>
#include <cmath>

namespace myriad::simulcast {

AudioLevelSmoother::AudioLevelSmoother(int64_t timeConstantMs, int64_t silenceTimeoutMs,
                                       int64_t releaseTimeConstantMs)
    : timeConstantMs_(timeConstantMs),
      silenceTimeoutMs_(silenceTimeoutMs),
      releaseTimeConstantMs_(releaseTimeConstantMs > 0 ? releaseTimeConstantMs : timeConstantMs) {}

void AudioLevelSmoother::OnSample(uint8_t level, int64_t nowMs) {
  const double sampleDbov = -static_cast<double>(std::min<uint8_t>(level, 127));
  int64_t coveredMs = kFirstSampleMs;
  if (hasSample_ && nowMs - lastSampleMs_ < silenceTimeoutMs_) {
    coveredMs = std::max<int64_t>(nowMs - lastSampleMs_, 0);
  } else {
    // Nothing was heard since the last sample: the source was silent in between.
    smoothedDbov_ = kSilenceDbov;
  }
  // Exact discretisation of a first-order low-pass: after one time constant of a constant input
  // the average has moved 63% of the way there, whatever the packet rate.
  const int64_t tau = sampleDbov < smoothedDbov_ ? releaseTimeConstantMs_ : timeConstantMs_;
  const double weight =
      tau > 0 ? 1.0 - std::exp(-static_cast<double>(coveredMs) / static_cast<double>(tau)) : 1.0;
  smoothedDbov_ += weight * (sampleDbov - smoothedDbov_);
  lastSampleMs_ = hasSample_ ? std::max(lastSampleMs_, nowMs) : nowMs;
  hasSample_ = true;
}

double AudioLevelSmoother::LevelDbov(int64_t nowMs) const {
  if (!hasSample_ || nowMs - lastSampleMs_ >= silenceTimeoutMs_) return kSilenceDbov;
  return smoothedDbov_;
}

}  // namespace myriad::simulcast
