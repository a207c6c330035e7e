#pragma once

#include <cstdint>
#include <optional>

#include "simulcast/SimulcastLadder.h"

namespace myriad::congestion {

// Caps the simulcast level one subscription asks the publisher for at what the subscriber's
// downlink affords (issue 5: "a publisher whose every subscriber is behind a 0.5 Mbps link sends
// about 0.5 Mbps"). The layout asks for a level (a 720p tile); the publisher's tier plan is made
// from what subscribers ask for (simulcast::TierPlanner). Without this cap a lone viewer of a
// 720p tile behind 500 kbit/s gets a plan with a 720p tier only, which its link cannot carry:
// the allocator (BandwidthAllocator) can only pause it, and the publisher keeps encoding 720p
// for nobody. With it, the viewer's demand drops to a level its link carries, the plan grows a
// tier at that level (or moves its only tier there) and the publisher encodes what is watched.
//
// Per round (every allocation, one per subscription; pure logic, time passed in):
//
// - The level the budget fits: the highest candidate level <= the layout's whose target rate
//   (the rate the publisher gives it while a higher tier is also sent;
//   SimulcastLadder::LevelSpec) times kFitShareOfTarget is within the budget
//   (BandwidthAllocator::Decision::budgetBps); level 0 when none is. Half the target: a level
//   still looks better than the one below it at half its target (libwebrtc's own minimum rates
//   are a quarter to a third of the maximum), and a stricter rule than the allocator's (which
//   keeps a tier down to a quarter of its maximum) so that a subscription the allocator keeps
//   on its tier is never capped. Candidates are buckets: from the layout's level down, each
//   candidate's target is at most 1/kBucketRatio of the one above (for a 720p tile on the
//   default ladder: 720p, 540p, 360p, 180p, 90p). Viewers of one publisher behind similar
//   links then land on the same level, and so share one encoding: with every level a
//   candidate, estimates a few percent apart would ask for 360p and 450p and make the
//   publisher send both.
// - Down: the allocator cannot fit the wanted tier (Decision::limitedByBandwidth) and the fit is
//   below the level asked for, in every round for downHoldMs: the cap becomes the highest fit
//   seen in that time. Not at once: the estimate starts from a guess and its first probes need
//   a moment, and every cap change re-plans the publisher. Lowering a cap already in force
//   waits furtherDownHoldMs: on a link with a deep queue the delay-based estimate swings to half
//   the capacity and back within seconds, and following each dip would re-plan the publisher
//   (moving other viewers' encodings) for a few hundred kbit/s that come back.
// - Up: with a cap in force, the fit is above it in every round for upHoldMs: the cap becomes
//   the lowest fit seen in that time, or goes when that reaches the layout's level. The
//   estimator probes for the layout's rate while capped (the caller adds the difference to its
//   desired rate), so the fit can rise.
// - The layout's level shrinking to or below the cap ends the cap (nothing to limit); growing,
//   it keeps the cap.
class AffordableLevelCap {
 public:
  static constexpr double kFitShareOfTarget = 0.5;
  static constexpr double kBucketRatio = 1.5;

  struct Options {
    int64_t downHoldMs = 1500;
    int64_t furtherDownHoldMs = 5000;
    int64_t upHoldMs = 2000;
  };

  struct Input {
    int layoutLevel = 0;  // the level the layout asks for (any value above the ladder: its top)
    uint32_t budgetBps = 0;
    bool limitedByBandwidth = false;
  };

  AffordableLevelCap() = default;
  explicit AffordableLevelCap(Options options) : options_(options) {}

  // One round; returns the level to ask the publisher for: min(layout level, cap).
  int Update(const simulcast::SimulcastLadder& ladder, const Input& input, int64_t nowMs);

  // The cap in force, if any.
  std::optional<int> Cap() const { return cap_; }
  // The highest level <= maxLevel that `budgetBps` fits (see above).
  static int FitLevel(const simulcast::SimulcastLadder& ladder, int maxLevel, uint32_t budgetBps);

 private:
  Options options_;
  std::optional<int> cap_;
  std::optional<int64_t> downSinceMs_;
  int highestFitSinceDown_ = 0;
  std::optional<int64_t> upSinceMs_;
  int lowestFitSinceUp_ = 0;
};

}  // namespace myriad::congestion
