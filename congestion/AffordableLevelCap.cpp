#include "congestion/AffordableLevelCap.h"

#include <algorithm>

namespace myriad::congestion {

int AffordableLevelCap::FitLevel(const simulcast::SimulcastLadder& ladder, int maxLevel,
                                 uint32_t budgetBps) {
  const int top = std::clamp(maxLevel, 0, ladder.LevelCount() - 1);
  double candidateTarget = 0;
  for (int level = top; level > 0; --level) {
    const double target = ladder.Level(level).targetBitrateBps;
    // Buckets: only levels kBucketRatio apart in rate are candidates.
    if (level != top && target * kBucketRatio > candidateTarget) continue;
    candidateTarget = target;
    if (target * kFitShareOfTarget <= static_cast<double>(budgetBps)) return level;
  }
  return 0;
}

int AffordableLevelCap::Update(const simulcast::SimulcastLadder& ladder, const Input& input,
                               int64_t nowMs) {
  const int layout = std::clamp(input.layoutLevel, 0, ladder.LevelCount() - 1);
  if (cap_ && layout <= *cap_) cap_.reset();
  const int asked = cap_ ? *cap_ : layout;
  const int fit = FitLevel(ladder, layout, input.budgetBps);

  if (input.limitedByBandwidth && fit < asked) {
    if (!downSinceMs_) {
      downSinceMs_ = nowMs;
      highestFitSinceDown_ = fit;
    }
    highestFitSinceDown_ = std::max(highestFitSinceDown_, fit);
    const int64_t hold = cap_ ? options_.furtherDownHoldMs : options_.downHoldMs;
    if (nowMs - *downSinceMs_ >= hold) {
      cap_ = highestFitSinceDown_;
      downSinceMs_.reset();
      upSinceMs_.reset();
    }
  } else {
    downSinceMs_.reset();
  }

  if (cap_ && fit > *cap_) {
    if (!upSinceMs_) {
      upSinceMs_ = nowMs;
      lowestFitSinceUp_ = fit;
    }
    lowestFitSinceUp_ = std::min(lowestFitSinceUp_, fit);
    if (nowMs - *upSinceMs_ >= options_.upHoldMs) {
      if (lowestFitSinceUp_ >= layout) {
        cap_.reset();
      } else {
        cap_ = lowestFitSinceUp_;
      }
      upSinceMs_.reset();
    }
  } else {
    upSinceMs_.reset();
  }
  return cap_ ? std::min(*cap_, layout) : input.layoutLevel;
}

}  // namespace myriad::congestion
