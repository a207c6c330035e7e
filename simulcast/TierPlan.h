#pragma once

#include <cstdint>
#include <vector>

namespace myriad::simulcast {

// What a publisher should encode for one video track, as decided by TierPlanner: the encoded
// tiers and, for every level of the ladder, the tier that serves requests for it.
struct TierPlan {
  static constexpr int kNoTier = -1;

  // Ladder levels being encoded, ascending; tier t is levels[t]. Empty: every encoding paused.
  std::vector<int> levels;
  // Per ladder level (size = the ladder's LevelCount()): the tier a subscriber asking for that
  // level receives, or kNoTier when `levels` is empty.
  std::vector<int> tierForLevel;
  // Starts at 0 (the empty plan) and grows by one with every change.
  uint64_t version = 0;
};

}  // namespace myriad::simulcast
