#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "simulcast/LayerSelector.h"

namespace myriad::congestion {

// The bitrate cap of every simulcast tier of one published video track, from its subscribers'
// BandwidthAllocator shares (issue 5). One per published simulcast track. Pure logic.
//
// A tier is forwarded unchanged to every subscriber on it, so the publisher must send it at the
// rate its best-connected subscriber can take: the cap of a tier is the highest share voted for
// it, clamped to [minBps, maxBps] of the tier (below minBps the picture falls apart; maxBps is
// the ladder's rate, more buys nothing). A less well-connected subscriber then sees a rate above
// its share and steps down to a tier that fits (BandwidthAllocator rule 2). The lowest tier sent
// is the exception (TierLimits::capAtLowestVote): its subscribers have no tier to step down to,
// only a pause, so its cap is the lowest share voted for it: everyone on it gets a picture at
// the rate the worst-connected of them can take (the rule SFUs apply to a stream without
// simulcast, as the minimum of its receivers' REMBs), and a better-connected subscriber that
// wants more steps up to a higher tier, which the plan provides when it asks for it. A tier
// without votes
// keeps its maxBps: it is paused or nobody receives it, and a subscriber stepping onto it later
// should not first get a picture starved by a cap nobody needs.
//
// A cap reaches the publisher in a tierPlan message and RTCRtpSender.setParameters, so it is
// re-sent only when it matters: Changed() is true when a cap moved by at least
// min(changeRatio * published cap, changeBps) since MarkPublished(): 10% of a small tier and at
// most 50 kbps of a large one, so a subscriber that can take only 100 of 150 kbps is heard, and a
// 1.5 Mbps tier does not wait for 150 kbps of difference.
//
// The server holds a Voter handle per subscription (Join/VoteAt/Leave): a vote is O(1) and
// allocates nothing once the subscriber joined (a flat vector with a free list), because every
// subscriber of a track votes every allocation round and a room may give a track a thousand
// subscribers. Vote and Remove by subscriber id scan the voters (tests, rare paths).
//
// HighestVote and HighestVoteExcept answer as of the latest Caps() call, from the two highest
// votes per tier kept then: O(1) per question, where a scan per subscriber per round would be
// quadratic in the track's audience. The publication recomputes the caps once per round, so a
// subscriber sees the others' votes one round late at most.
class TierBitrateCaps {
 public:
  static constexpr int kMaxTiers = simulcast::LayerSelector::kMaxTiers;
  static constexpr int kNoTier = simulcast::LayerSelector::kNoTier;

  struct Options {
    double changeRatio = 0.10;    // a cap moved by this share of its published value matters
    uint32_t changeBps = 50'000;  // and so does a move by this much
  };

  struct TierLimits {
    uint32_t minBps = 0;           // the lowest cap the tier may get
    uint32_t maxBps = 0;           // the tier's ladder maximum
    bool capAtLowestVote = false;  // the lowest tier sent: capped at the lowest vote
  };

  using Voter = size_t;

  // `tierCount` is clamped to [1, kMaxTiers].
  explicit TierBitrateCaps(int tierCount);
  TierBitrateCaps(int tierCount, Options options);

  // Subscriber `subscriberId` receives `tier` and may use `allocatedBps` of it
  // (BandwidthAllocator::Decision). kNoTier (or a tier out of range) = on no tier: the vote no
  // longer counts, but the subscriber's entry stays (no allocation when it comes back).
  void Vote(uint32_t subscriberId, int tier, uint32_t allocatedBps);
  // The subscriber left the track.
  void Remove(uint32_t subscriberId);

  // The same by handle: Join once per subscription (it starts on no tier), VoteAt every round,
  // Leave when the subscription ends (the handle is reused by a later Join).
  Voter Join(uint32_t subscriberId);
  void VoteAt(Voter voter, int tier, uint32_t allocatedBps);
  void Leave(Voter voter);

  // The highest vote for `tier`, 0 when none (as of the latest Caps()).
  uint32_t HighestVote(int tier) const;
  // The highest vote for `tier` of everyone but `subscriberId`, 0 when none: what that
  // subscriber's allocator needs (BandwidthAllocator::TierRates::capByOthersBps).
  uint32_t HighestVoteExcept(uint32_t subscriberId, int tier) const;

  // Computes the caps of tiers 0 .. TierCount()-1 from the votes; `limits` holds each tier's
  // min and max (a tier without limits gets cap 0). The result stays valid until the next call.
  std::span<const uint32_t> Caps(std::span<const TierLimits> limits);

  // Whether the caps of the latest Caps() call differ enough from the published ones to re-send
  // the plan. True once caps were computed and none were published yet.
  bool Changed() const;
  // The caps of the latest Caps() call reached the publisher.
  void MarkPublished();

  // Since the latest Caps() call, a vote that a published cap follows (a tier's highest, or any
  // on a tier capped at its lowest vote) fell significantly below that cap (by Changed()'s
  // measure), or its voter left the tier. The caller recomputes now rather than at its next
  // round: a subscriber whose estimate was just cut is being sent more than its link carries
  // until the publisher follows, and each round of waiting adds queueing delay. Rises wait for
  // the round.
  bool CapLowered() const { return capLowered_; }

  int TierCount() const { return tierCount_; }
  size_t VoterCount() const { return votes_.size() - free_.size(); }

 private:
  struct VoteEntry {
    uint32_t subscriberId = 0;
    int tier = kNoTier;
    uint32_t bps = 0;
    bool used = false;
  };
  // The two highest votes of a tier and who cast the highest, as of the latest Caps().
  struct TopVotes {
    uint32_t firstId = 0;
    uint32_t first = 0;
    uint32_t second = 0;
    uint32_t lowest = 0;
    bool any = false;
  };

  bool Significant(uint32_t published, uint32_t now) const;
  bool LowersPublishedCap(const VoteEntry& old, int tier, uint32_t allocatedBps) const;

  int tierCount_;
  Options options_;
  std::vector<VoteEntry> votes_;
  std::vector<Voter> free_;
  std::array<TopVotes, kMaxTiers> top_{};
  std::array<uint32_t, kMaxTiers> caps_{};
  std::array<uint32_t, kMaxTiers> published_{};
  std::array<bool, kMaxTiers> capAtLowestVote_{};  // as of the latest Caps()
  std::array<uint32_t, kMaxTiers> capFloor_{};     // each tier's minBps, as of the latest Caps()
  bool computed_ = false;
  bool hasPublished_ = false;
  bool capLowered_ = false;
};

}  // namespace myriad::congestion
