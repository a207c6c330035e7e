#include "congestion/TierBitrateCaps.h"

#include <algorithm>
#include <cmath>

namespace myriad::congestion {

TierBitrateCaps::TierBitrateCaps(int tierCount) : TierBitrateCaps(tierCount, Options{}) {}

TierBitrateCaps::TierBitrateCaps(int tierCount, Options options)
    : tierCount_(std::clamp(tierCount, 1, kMaxTiers)), options_(options) {}

TierBitrateCaps::Voter TierBitrateCaps::Join(uint32_t subscriberId) {
  Voter voter = votes_.size();
  if (!free_.empty()) {
    voter = free_.back();
    free_.pop_back();
  } else {
    votes_.emplace_back();
  }
  votes_[voter] = VoteEntry{subscriberId, kNoTier, 0, true};
  return voter;
}

void TierBitrateCaps::VoteAt(Voter voter, int tier, uint32_t allocatedBps) {
  if (voter >= votes_.size() || !votes_[voter].used) return;
  if (tier < 0 || tier >= tierCount_) {
    tier = kNoTier;
    allocatedBps = 0;
  }
  if (!capLowered_ && LowersPublishedCap(votes_[voter], tier, allocatedBps)) capLowered_ = true;
  votes_[voter].tier = tier;
  votes_[voter].bps = allocatedBps;
}

bool TierBitrateCaps::LowersPublishedCap(const VoteEntry& old, int tier,
                                         uint32_t allocatedBps) const {
  if (!hasPublished_ || old.tier < 0 || old.tier >= tierCount_) return false;
  const auto index = static_cast<size_t>(old.tier);
  if (capAtLowestVote_[index]) {
    // Leaving a lowest-vote tier can only raise its cap.
    if (tier != old.tier) return false;
  } else if (!top_[index].any || top_[index].firstId != old.subscriberId) {
    return false;  // the cap follows someone else's vote
  }
  // The cap never goes under the tier's minimum, whatever the vote.
  const uint32_t vote = std::max(tier == old.tier ? allocatedBps : 0, capFloor_[index]);
  return vote < published_[index] && Significant(published_[index], vote);
}

void TierBitrateCaps::Leave(Voter voter) {
  if (voter >= votes_.size() || !votes_[voter].used) return;
  votes_[voter] = VoteEntry{};
  free_.push_back(voter);
}

void TierBitrateCaps::Vote(uint32_t subscriberId, int tier, uint32_t allocatedBps) {
  for (Voter voter = 0; voter < votes_.size(); ++voter) {
    if (votes_[voter].used && votes_[voter].subscriberId == subscriberId) {
      VoteAt(voter, tier, allocatedBps);
      return;
    }
  }
  VoteAt(Join(subscriberId), tier, allocatedBps);
}

void TierBitrateCaps::Remove(uint32_t subscriberId) {
  for (Voter voter = 0; voter < votes_.size(); ++voter) {
    if (votes_[voter].used && votes_[voter].subscriberId == subscriberId) {
      Leave(voter);
      return;
    }
  }
}

uint32_t TierBitrateCaps::HighestVote(int tier) const {
  if (tier < 0 || tier >= tierCount_) return 0;
  return top_[static_cast<size_t>(tier)].first;
}

uint32_t TierBitrateCaps::HighestVoteExcept(uint32_t subscriberId, int tier) const {
  if (tier < 0 || tier >= tierCount_) return 0;
  const TopVotes& top = top_[static_cast<size_t>(tier)];
  if (!top.any) return 0;
  return top.firstId == subscriberId ? top.second : top.first;
}

std::span<const uint32_t> TierBitrateCaps::Caps(std::span<const TierLimits> limits) {
  // One pass over the votes for all tiers: the highest two of each.
  top_ = {};
  for (const VoteEntry& vote : votes_) {
    if (!vote.used || vote.tier < 0) continue;
    TopVotes& top = top_[static_cast<size_t>(vote.tier)];
    top.lowest = top.any ? std::min(top.lowest, vote.bps) : vote.bps;
    if (!top.any || vote.bps > top.first) {
      if (top.any) top.second = top.first;
      top.first = vote.bps;
      top.firstId = vote.subscriberId;
    } else if (vote.bps > top.second) {
      top.second = vote.bps;
    }
    top.any = true;
  }
  for (int tier = 0; tier < tierCount_; ++tier) {
    const auto index = static_cast<size_t>(tier);
    if (index >= limits.size()) {
      caps_[index] = 0;
      capAtLowestVote_[index] = false;
      capFloor_[index] = 0;
      continue;
    }
    const uint32_t maxBps = limits[index].maxBps;
    const uint32_t minBps = std::min(limits[index].minBps, maxBps);
    capAtLowestVote_[index] = limits[index].capAtLowestVote;
    capFloor_[index] = minBps;
    const uint32_t vote = limits[index].capAtLowestVote ? top_[index].lowest : top_[index].first;
    caps_[index] = top_[index].any ? std::clamp(vote, minBps, maxBps) : maxBps;
  }
  computed_ = true;
  capLowered_ = false;
  return {caps_.data(), static_cast<size_t>(tierCount_)};
}

bool TierBitrateCaps::Significant(uint32_t published, uint32_t now) const {
  const uint32_t difference = published > now ? published - now : now - published;
  if (difference == 0) return false;
  const double relative = options_.changeRatio * static_cast<double>(published);
  const double threshold = std::min(relative, static_cast<double>(options_.changeBps));
  return static_cast<double>(difference) >= threshold;
}

bool TierBitrateCaps::Changed() const {
  if (!computed_) return false;
  if (!hasPublished_) return true;
  for (size_t tier = 0; tier < static_cast<size_t>(tierCount_); ++tier) {
    if (Significant(published_[tier], caps_[tier])) return true;
  }
  return false;
}

void TierBitrateCaps::MarkPublished() {
  published_ = caps_;
  hasPublished_ = computed_;
}

}  // namespace myriad::congestion
