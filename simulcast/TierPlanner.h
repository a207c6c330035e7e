#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "simulcast/SimulcastLadder.h"
#include "simulcast/TierPlan.h"

namespace myriad::simulcast {

// Decides which ladder levels one published video track is encoded at (issue 4: ten levels
// aggregated into at most four encoded tiers). One per published video track. Pure logic, time
// passed in (milliseconds on any monotonic clock).
//
// Subscribers state the level they want (SetDemand); a request above the source level (what the
// camera can provide, SetSourceLevel) counts as a request for the source level. A plan is made
// from the histogram of subscribers per level, so subscriber ids never affect it:
//  1. Encoded levels (tiers) whose weight (number of subscribers) dropped to 0 are removed
//     (paused).
//  2. If the tier budget (SetTierBudget) is smaller than what is left, the lightest tiers go.
//  3. Free tiers take the heaviest requested levels not yet encoded.
//  4. Hysteresis: while the heaviest non-encoded level c outweighs the lightest tier i by more
//     than `hysteresisSubscribers` (weight(c) > weight(i) + hysteresisSubscribers), c replaces i.
//     One subscriber moving from level a to level b shifts weight(b) - weight(a) by 2, so with
//     the default of 1 (c needs at least 2 subscribers more than i) a swap of a and b needs
//     weight(b) - weight(a) >= 2 after the move, and the move back then leaves
//     weight(a) - weight(b) <= 0: one subscriber going back and forth swaps a pair at most once.
//     A real shift (several subscribers moving) still swaps. 0 makes ties keep the incumbent only.
//     Rule 1 has no hysteresis: a tier nobody asks for is paused, so a lone subscriber moving
//     between levels re-plans at the pace the debounce allows.
// "Heavier" and "lighter" compare weights; of equal weights the higher level counts as heavier,
// so a fresh plan is simply the `budget` heaviest levels.
//
// Every other request is served by the nearest tier in ladder positions, of two equally near the
// lower one: the level a subscriber asks for is sized to its tile and device, so a smaller
// picture is only upscaled while a bigger one costs downlink and decoding it may not have (and
// the downgrade path steps down one tier at a time from there anyway).
//
// Debounce: a demand change (SetDemand that changes a request) is planned once `debounceMs` have
// passed without another change, but no later than `maxDelayMs` after the first unplanned
// change, so a resize storm cannot postpone it forever. Planned at once: demand while the plan is
// empty (nobody gets video yet) and changes of the budget or source level (the publisher cannot
// honour a plan beyond them).
//
// SetDemand and Update may allocate (signalling and timer work, not the packet path); the
// queries do not.
class TierPlanner {
 public:
  using SubscriberId = uint64_t;
  static constexpr int kMaxTiers = 4;
  static constexpr int kNoTier = TierPlan::kNoTier;

  struct Options {
    int64_t debounceMs = 300;       // quiet time before a demand change is planned
    int64_t maxDelayMs = 1000;      // ... but at most this long after the first pending change
    int hysteresisSubscribers = 1;  // rule 4's margin; negative values count as 0
  };

  TierPlanner(const SimulcastLadder& ladder, Options options);

  // `level`: the ladder level subscriber wants (clamped into the ladder), or nullopt when it no
  // longer receives this track.
  void SetDemand(SubscriberId subscriber, std::optional<int> level, int64_t nowMs);
  // How many encodings the publisher can produce (kMaxTiers native, up to 3 for a browser);
  // clamped to [1, kMaxTiers]. Starts at kMaxTiers.
  void SetTierBudget(int tiers);
  // The highest level the source can provide (SimulcastLadder::NearestLevelAtMost of its real
  // height); clamped into the ladder. Starts at the top level. Feed it the source's capability
  // (capture size), not the size the encoder's own adaptation happens to send.
  void SetSourceLevel(int level);

  // Re-plans if due (call from a timer, e.g. every worker tick). Returns the new plan when it
  // differs from Current(), which it then replaces; otherwise nullopt.
  std::optional<TierPlan> Update(int64_t nowMs);

  const TierPlan& Current() const { return plan_; }
  // The tier of Current() that serves the subscriber's present request (which may be newer than
  // the plan), or kNoTier if it has none or the plan is empty.
  int TierForSubscriber(SubscriberId subscriber) const;
  // The level of that tier.
  std::optional<int> LevelForSubscriber(SubscriberId subscriber) const;

  const SimulcastLadder& Ladder() const { return ladder_; }
  int TierBudget() const { return budget_; }
  int SourceLevel() const { return sourceLevel_; }
  size_t SubscriberCount() const { return requests_.size(); }

 private:
  using Weights = std::array<int, SimulcastLadder::kMaxLevels>;

  bool IsDue(int64_t nowMs) const;
  // Subscribers per level, requests above the source level counted at the source level.
  Weights WeightsAtSource() const;
  // Rules 1-4 against the current plan's tiers; ascending.
  std::vector<int> ChooseLevels(const Weights& weights) const;
  // TierPlan::tierForLevel for `levels`.
  std::vector<int> MapLevels(const std::vector<int>& levels) const;

  SimulcastLadder ladder_;
  Options options_;
  int budget_ = kMaxTiers;
  int sourceLevel_ = 0;

  std::unordered_map<SubscriberId, int> requests_;  // level asked for, within the ladder
  Weights requestCounts_{};                         // subscribers per requested level

  std::optional<int64_t> firstPendingChangeMs_;  // first demand change not yet planned
  int64_t lastChangeMs_ = 0;                     // latest demand change
  bool publisherChanged_ = false;                // budget or source level changed

  TierPlan plan_;
};

}  // namespace myriad::simulcast
