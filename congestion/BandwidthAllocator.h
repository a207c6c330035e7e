#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "simulcast/LayerSelector.h"

namespace myriad::congestion {

// Turns one subscriber's downlink bandwidth estimate into a simulcast tier per subscribed video
// track (issue 5; ../shared/design.md "Simulcast: 10 levels -> 4 tiers": "capped by its
// bandwidth and device: the allocator steps it down one tier at a time, and back up when the
// estimate allows"). One per subscriber. Each round (Allocate) it decides, per subscription, the
// tier to receive and the share of the estimate it may use; that share is the subscriber's vote
// for the cap of that tier at the publisher (TierBitrateCaps). Pure logic, time passed in
// (milliseconds on any monotonic clock).
//
// Rules, in the order they apply:
//
// 1. Budget. available = estimate - audio - overhead (never below 0): audio slots and packet
//    overhead are paid whatever the video does.
//
// 2. Need. What tier t costs this subscriber depends on who holds the tier's cap up. The
//    publisher is capped at the highest share any subscriber of the tier votes for, so:
//    - if the other subscribers of the tier vote at most this subscriber's share * 1.1
//      (share = min(tier max, what is left at its turn); capByOthersBps <= share * 1.1), this
//      subscriber would hold the cap (alone or tied): the cap follows it down, and the tier
//      needs only its minBps (the lowest rate the publisher may be capped to);
//    - otherwise someone better connected holds the cap up and this subscriber receives the
//      full rate: the tier needs measuredBps (what the publisher sends now; when nothing is
//      measured, the others' cap), and never less than minBps.
//
// 3. Fit, by priority. Subscriptions are served screen share first, then active speakers, then
//    grid tiles (ties in input order): what is seen matters most first. Each gets the highest
//    tier <= wanted whose need fits what is left, and its need is taken from what is left. A
//    tier above the one it is on must fit with the up margin (need * 1.1): an estimate that
//    only just covers a tier would be overrun by the encoder's own variation. If not even tier
//    0 fits, the fitted tier is none: the lowest-priority subscriptions lose their picture so
//    that the higher ones keep at least tier 0 (pause rather than starve everyone).
//
// 4. Move, one tier per round, towards the fitted tier (a decoder restarts at every switch and
//    a jump from top to bottom looks broken; LayerSelector switches at key frames). From the
//    tier it is on (currentTier, or its wanted tier if lower: a layout that shrank is followed
//    at once, that is no bandwidth decision):
//    - Down: at once, one tier per round. Overrunning the link costs every stream of the
//      subscriber (loss, freezes), so there is no delay.
//    - Pause: when the fitted tier is none, the subscription is paused at once (targetTier -1,
//      allocatedBps 0) from whatever tier: stopping needs no key frame, and stepping through
//      tiers that do not fit either would keep the link overrun for more rounds while the
//      higher priorities suffer.
//    - Up: one tier, when the fitted tier is higher, and only when (a) the room for the next
//      tier's need plus the up margin has been there in every round for `holdMs` (an estimate
//      that just rose may be a spike; the hold restarts after every step and whenever a round
//      lacks the room; it is counted even while the layout does not want the next tier, so a
//      tile that grows on a link that has had the room goes up at once), and (b) `backOffMs`
//      has passed since this subscription's last down step (or pause).
//    - Layout growth is not recovery: a subscription that has not been stepped down (or paused)
//      for bandwidth since it last reached its wanted tier goes straight to its fitted tier
//      (which already includes the up margin). The one-step-per-hold rule exists to climb back
//      carefully after congestion; a tile made bigger on a link that has the room would
//      otherwise take seconds per tier to sharpen.
//    - Growth waits for the probe: when the wanted tier has just risen and the estimate fits
//      only a tier between the current and the wanted one, the subscription stays where it is
//      for up to growthProbeWaitMs (or until the wanted tier fits). The raised desiredBps
//      makes the estimator probe for it at once and the result comes about one round trip and
//      a probe later; an estimate that has only followed what was sent says little about the
//      link. Going to the in-between tier first would cost a key frame and a second switch a
//      few hundred milliseconds later (180p -> 360p -> 720p instead of 180p -> 720p). A
//      subscription that shows nothing yet does not wait (a black tile is worse).
//    - Re-plan: when the wanted tier's maxBps falls (the publisher's tier plan moved it to a
//      lower level, e.g. because this subscriber asked for what its link affords:
//      AffordableLevelCap), an earlier pause or step down was a verdict on the old tier: the
//      subscription counts as neither paused nor limited and goes to its fitted tier at once.
//    - Tiers the publisher does not send (maxBps 0: the tier plan paused their encodings) do
//      not count as steps: down goes to the next sent tier below, up to the next sent tier
//      above. A plan that sends only the top tier would otherwise leave a paused subscription
//      waiting forever for tier 0 to fit.
//    - A paused subscription resumes at its lowest sent tier by the same up rules. A subscription
//    on no tier
//      that the allocator has not paused (new, or its layout showed nothing before) starts at
//      its fitted tier at once: there is no picture to degrade and a black tile waiting for the
//      hold time would be worse. If nothing fits it either, it counts as paused.
//
// 5. Back-off against flapping. After a down step an up step waits backOffMs (default 3 s). A
//    down step (or pause) that undoes an up step taken less than stableMs (1 minute) earlier
//    is a flap: the up probed a rate the link cannot carry, and the back-off doubles (up to
//    maxBackOffMs, 30 s), so a subscriber on a link that cannot hold a tier stops switching
//    every few seconds. A minute without a down step resets it to the initial value.
//
// 6. Share. What is left after every target tier's need (available - sum of needs) is handed
//    out as headroom, class by class in priority order (screen share first), split evenly
//    within a class; what a subscription cannot use (a tier's maxBps is the most it can carry)
//    goes on to the others in priority order. allocatedBps = min(tier max, need + headroom);
//    a paused subscription gets 0. The subscriber votes allocatedBps for its target tier: when
//    it is the best-connected subscriber of the tier, the publisher's cap follows it.
//
// Allocate does not allocate memory once it has seen its subscriptions (vectors are reused).
class BandwidthAllocator {
 public:
  static constexpr int kMaxTiers = simulcast::LayerSelector::kMaxTiers;
  static constexpr int kNoTier = simulcast::LayerSelector::kNoTier;

  // In order of priority.
  enum class Priority : uint8_t { kScreenShare, kActiveSpeaker, kGridTile };
  enum class Direction : uint8_t { kDown, kSame, kUp };

  struct Options {
    int64_t holdMs = 2000;         // room for the next tier must last this long before an up step
    int64_t backOffMs = 3000;      // no up step this soon after a down step (initial value)
    int64_t maxBackOffMs = 30000;  // the back-off doubles on flaps up to this
    int64_t stableMs = 60000;      // no down step this long: the back-off returns to its start
    double upMargin = 0.10;        // a higher tier must fit with this much to spare
    double capHolderTolerance = 0.10;  // others' cap within share * (1 + this): we hold the cap
    // Layout growth waits this long for a probe before settling for an in-between tier (rule
    // 4): a probe and its feedback take a few hundred milliseconds; rounds come every 250.
    int64_t growthProbeWaitMs = 600;
  };

  // One tier of a subscribed track, as the publisher sends it now.
  struct TierRates {
    uint32_t minBps = 0;  // the lowest rate the publisher may be capped to for this tier
    // The tier's ladder maximum; 0: the publisher does not send this tier now (its encoding is
    // paused by the tier plan). A tier not sent is never fitted and steps pass over it.
    uint32_t maxBps = 0;
    uint32_t measuredBps = 0;  // what the publisher actually sends on this tier now (0: unknown)
    // The highest share the *other* subscribers of the track vote for this tier
    // (TierBitrateCaps::HighestVoteExcept), 0 when none of them is on it: the cap in force at
    // the publisher without this subscriber. This subscriber's own vote is left out so that it
    // can tell "the cap is high because of me" (it follows me down) from "someone else holds
    // it up" (I receive the full rate).
    uint32_t capByOthersBps = 0;
  };

  struct Track {
    uint32_t id = 0;
    Priority priority = Priority::kGridTile;
    // The highest tier the subscriber's layout would use; kNoTier = none. Above the top tier:
    // the top tier.
    int wantedTier = kNoTier;
    // The tier the subscription receives or is switching to (LayerSelector::TargetTier()), so a
    // pending switch is not stepped twice; kNoTier = paused or nothing yet.
    int currentTier = kNoTier;
    int tierCount = 0;  // tiers[0 .. tierCount-1] are valid, ascending; at most kMaxTiers
    std::array<TierRates, kMaxTiers> tiers{};
  };

  struct Input {
    uint32_t estimateBps = 0;  // the subscriber's downlink estimate
    uint32_t audioBps = 0;     // reserved for its audio slots
    uint32_t overheadBps = 0;  // reserved for headers, RTCP, retransmissions
    std::vector<Track> tracks;
  };

  struct Decision {
    uint32_t id = 0;
    int targetTier = kNoTier;  // kNoTier: paused (or not wanted)
    // The share of the estimate this subscription may use at targetTier; this subscriber's vote
    // for that tier's cap (TierBitrateCaps::Vote). 0 when paused.
    uint32_t allocatedBps = 0;
    Direction direction = Direction::kSame;  // targetTier against the input's currentTier
    // What was left of the budget when this subscription's priority turn came (rule 3): the most
    // it could have used. What the subscriber's downlink affords this track, for planning the
    // level it asks the publisher for (AffordableLevelCap).
    uint32_t budgetBps = 0;
    // The tier the link fits (rule 3) is below the wanted one: bandwidth, not the layout, limits
    // this subscription (whatever step it takes this round).
    bool limitedByBandwidth = false;
  };

  struct Output {
    std::vector<Decision> tracks;    // same order as Input::tracks
    uint64_t totalAllocatedBps = 0;  // sum of allocatedBps
    // audio + overhead + every wanted tier at its maxBps plus the up margin: what the
    // subscriber would use with an unlimited link, and what the estimate must reach for the
    // wanted tiers to fit (rule 3). Comparable with estimateBps; the estimator probes towards
    // it.
    uint64_t desiredBps = 0;
  };

  BandwidthAllocator();
  explicit BandwidthAllocator(Options options);

  // One round: decisions for every track of `input`. Subscriptions missing from `input` are
  // forgotten (their back-off and hold state). The result stays valid until the next call.
  const Output& Allocate(const Input& input, int64_t nowMs);

  // Output::desiredBps for `input`, without allocating: what the wanted tiers would use. Also
  // for a caller that is not ready to allocate yet but must tell its prober what to look for.
  uint64_t DesiredBps(const Input& input) const;

  // The back-off in force for subscription `id` (Options::backOffMs if unknown).
  int64_t BackOffMs(uint32_t id) const;
  const Options& GetOptions() const { return options_; }

 private:
  // What the allocator remembers of one subscription between rounds.
  struct TrackState {
    uint32_t id = 0;
    bool seen = false;               // present in the current round
    bool pausedByBandwidth = false;  // paused by rule 4: resumes by the up rules
    // Stepped down or paused for bandwidth and not back at its wanted tier since: up moves go
    // one tier per hold.
    bool limited = false;
    bool hasDown = false;
    int64_t lastDownMs = 0;
    bool lastStepWasUp = false;
    int64_t lastUpMs = 0;
    int64_t backOffMs = 0;
    std::optional<int64_t> holdSinceMs;  // room for holdTier since then, uninterrupted
    int holdTier = kNoTier;
    uint32_t wantedMaxBps = 0;        // the wanted tier's maxBps last round
    int wantedTier = kNoTier;         // the wanted tier last round
    std::optional<int64_t> grewAtMs;  // the wanted tier rose then, and it has not fitted since
  };

  // Per-round scratch for one track, index-aligned with Input::tracks.
  struct Work {
    size_t state = 0;       // index into states_
    int wanted = kNoTier;   // clamped
    int current = kNoTier;  // clamped
    int tierCount = 0;      // clamped
    int from = kNoTier;     // min(current, wanted): where steps start
    int fitted = kNoTier;
    int64_t remainingAtTurn = 0;  // budget left when its priority turn came
    int target = kNoTier;
    int64_t targetNeed = 0;
    int64_t extra = 0;  // headroom handed out on top of targetNeed
  };

  size_t StateFor(uint32_t id, size_t hint);
  int64_t NeedFor(const TierRates& rates, int64_t remaining) const;
  // The nearest tier the publisher sends above (below) `tier`; kNoTier when there is none.
  static int SentTierAbove(const Track& track, int tier, int tierCount);
  static int SentTierBelow(const Track& track, int tier);
  int64_t WithMargin(int64_t bps) const;
  void Fit(const Input& input, int64_t available);
  void Move(const Input& input, int64_t nowMs);
  void RecordDown(TrackState& state, int64_t nowMs);
  void Share(const Input& input, int64_t available);

  Options options_;
  std::vector<TrackState> states_;
  std::vector<Work> work_;
  std::vector<size_t> order_;  // track indices in priority order
  Output output_;
};

}  // namespace myriad::congestion
