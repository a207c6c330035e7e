#include "congestion/BandwidthAllocator.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace myriad::congestion {

namespace {

constexpr int kPriorityClasses = 3;

int ClassOf(BandwidthAllocator::Priority priority) {
  return std::min(static_cast<int>(priority), kPriorityClasses - 1);
}

}  // namespace

BandwidthAllocator::BandwidthAllocator() : BandwidthAllocator(Options{}) {}

BandwidthAllocator::BandwidthAllocator(Options options) : options_(options) {}

int64_t BandwidthAllocator::BackOffMs(uint32_t id) const {
  for (const TrackState& state : states_) {
    if (state.id == id) return state.backOffMs;
  }
  return options_.backOffMs;
}

size_t BandwidthAllocator::StateFor(uint32_t id, size_t hint) {
  // Tracks usually come in the same order every round: try the same position first.
  size_t index = states_.size();
  if (hint < states_.size() && states_[hint].id == id) {
    index = hint;
  } else {
    for (size_t i = 0; i < states_.size(); ++i) {
      if (states_[i].id == id) {
        index = i;
        break;
      }
    }
  }
  if (index == states_.size()) {
    TrackState state;
    state.id = id;
    state.backOffMs = options_.backOffMs;
    states_.push_back(state);
  }
  states_[index].seen = true;
  return index;
}

int64_t BandwidthAllocator::WithMargin(int64_t bps) const {
  return bps + static_cast<int64_t>(std::ceil(static_cast<double>(bps) * options_.upMargin));
}

int64_t BandwidthAllocator::NeedFor(const TierRates& rates, int64_t remaining) const {
  const int64_t share = std::min<int64_t>(rates.maxBps, std::max<int64_t>(remaining, 0));
  const double holderLimit = static_cast<double>(share) * (1.0 + options_.capHolderTolerance);
  // Nobody else (0) or nobody much better connected: the cap follows this subscriber down.
  if (static_cast<double>(rates.capByOthersBps) <= holderLimit) return rates.minBps;
  const uint32_t rate = rates.measuredBps > 0 ? rates.measuredBps : rates.capByOthersBps;
  return std::max(rates.minBps, rate);
}

int BandwidthAllocator::SentTierAbove(const Track& track, int tier, int tierCount) {
  for (int next = std::max(tier + 1, 0); next < tierCount; ++next) {
    if (track.tiers[static_cast<size_t>(next)].maxBps > 0) return next;
  }
  return kNoTier;
}

int BandwidthAllocator::SentTierBelow(const Track& track, int tier) {
  for (int next = tier - 1; next >= 0; --next) {
    if (track.tiers[static_cast<size_t>(next)].maxBps > 0) return next;
  }
  return kNoTier;
}

void BandwidthAllocator::Fit(const Input& input, int64_t available) {
  int64_t remaining = available;
  for (const size_t i : order_) {
    Work& work = work_[i];
    const Track& track = input.tracks[i];
    work.remainingAtTurn = remaining;
    work.fitted = kNoTier;
    for (int tier = work.wanted; tier >= 0; --tier) {
      if (track.tiers[tier].maxBps == 0) continue;  // not sent
      const int64_t need = NeedFor(track.tiers[tier], remaining);
      const int64_t required = tier > work.from ? WithMargin(need) : need;
      if (required <= remaining) {
        work.fitted = tier;
        remaining -= need;
        break;
      }
    }
  }
}

void BandwidthAllocator::RecordDown(TrackState& state, int64_t nowMs) {
  // Up, then down again within a minute: the up probed a rate the link cannot carry.
  if (state.lastStepWasUp && nowMs - state.lastUpMs < options_.stableMs) {
    state.backOffMs = std::min(state.backOffMs * 2, options_.maxBackOffMs);
  }
  state.lastStepWasUp = false;
  state.hasDown = true;
  state.lastDownMs = nowMs;
}

void BandwidthAllocator::Move(const Input& input, int64_t nowMs) {
  for (size_t i = 0; i < work_.size(); ++i) {
    Work& work = work_[i];
    TrackState& state = states_[work.state];
    const Track& track = input.tracks[i];
    if (work.from >= 0) state.pausedByBandwidth = false;

    if (work.wanted < 0) {
      // Not a bandwidth decision: the layout shows nothing of this track.
      work.target = kNoTier;
      state.pausedByBandwidth = false;
      state.limited = false;
      state.holdSinceMs.reset();
    } else if (work.fitted < work.from) {
      if (work.fitted == kNoTier) {
        work.target = kNoTier;
        state.pausedByBandwidth = true;
      } else {
        // fitted is a sent tier below from, so there is one.
        work.target = SentTierBelow(track, work.from);
      }
      RecordDown(state, nowMs);
      state.limited = true;
      state.holdSinceMs.reset();
    } else if (work.fitted > work.from && !state.pausedByBandwidth &&
               (!state.limited || work.from == kNoTier)) {
      // A start (nothing on screen to degrade), or layout growth the estimate covers (Fit
      // applied the up margin): no recovery to pace. Growth the estimate covers only in part
      // waits a little for the probe towards the new desired rate.
      const bool waitForProbe = work.from != kNoTier && work.fitted < work.wanted &&
                                state.grewAtMs &&
                                nowMs - *state.grewAtMs < options_.growthProbeWaitMs;
      work.target = waitForProbe ? work.from : work.fitted;
      state.holdSinceMs.reset();
    } else {
      work.target = work.from;
      // Wanted, but not even tier 0 fits: it starts by the up rules once something does.
      if (work.fitted == kNoTier) state.pausedByBandwidth = true;
      const int next = SentTierAbove(track, work.from, work.tierCount);
      const bool room =
          next != kNoTier &&
          WithMargin(NeedFor(track.tiers[next], work.remainingAtTurn)) <= work.remainingAtTurn;
      if (!room) {
        state.holdSinceMs.reset();
      } else {
        if (!state.holdSinceMs || state.holdTier != next) {
          state.holdSinceMs = nowMs;
          state.holdTier = next;
        }
        const bool held = nowMs - *state.holdSinceMs >= options_.holdMs;
        const bool backedOff = !state.hasDown || nowMs - state.lastDownMs >= state.backOffMs;
        if (work.fitted > work.from && held && backedOff) {
          work.target = next;
          state.lastStepWasUp = true;
          state.lastUpMs = nowMs;
          state.pausedByBandwidth = false;
          state.holdSinceMs.reset();
        }
      }
    }
    if (work.target >= 0 && work.target >= work.wanted) state.limited = false;
    work.targetNeed =
        work.target >= 0 ? NeedFor(track.tiers[work.target], work.remainingAtTurn) : 0;
  }
}

void BandwidthAllocator::Share(const Input& input, int64_t available) {
  int64_t leftover = available;
  for (Work& work : work_) {
    work.extra = 0;
    if (work.target >= 0) leftover -= work.targetNeed;
  }
  leftover = std::max<int64_t>(leftover, 0);

  auto headroomOf = [&](size_t i) {
    const Work& work = work_[i];
    const int64_t maxBps = input.tracks[i].tiers[work.target].maxBps;
    return std::max<int64_t>(maxBps - work.targetNeed - work.extra, 0);
  };
  // Class by class (order_ groups them), an even split inside a class.
  size_t begin = 0;
  while (begin < order_.size()) {
    const int priorityClass = ClassOf(input.tracks[order_[begin]].priority);
    size_t end = begin;
    int64_t members = 0;
    while (end < order_.size() && ClassOf(input.tracks[order_[end]].priority) == priorityClass) {
      if (work_[order_[end]].target >= 0) ++members;
      ++end;
    }
    for (size_t k = begin; k < end; ++k) {
      const size_t i = order_[k];
      if (work_[i].target < 0) continue;
      const int64_t extra = std::min(headroomOf(i), leftover / members);
      work_[i].extra += extra;
      leftover -= extra;
      --members;
    }
    begin = end;
  }
  // What some could not use goes to the others, highest priority first.
  for (const size_t i : order_) {
    if (leftover == 0) break;
    if (work_[i].target < 0) continue;
    const int64_t extra = std::min(headroomOf(i), leftover);
    work_[i].extra += extra;
    leftover -= extra;
  }
}

uint64_t BandwidthAllocator::DesiredBps(const Input& input) const {
  auto desired = static_cast<uint64_t>(input.audioBps) + input.overheadBps;
  for (const Track& track : input.tracks) {
    const int wanted = std::min(track.wantedTier, std::clamp(track.tierCount, 0, kMaxTiers) - 1);
    if (wanted >= 0) {
      desired += static_cast<uint64_t>(WithMargin(track.tiers[static_cast<size_t>(wanted)].maxBps));
    }
  }
  return desired;
}

const BandwidthAllocator::Output& BandwidthAllocator::Allocate(const Input& input, int64_t nowMs) {
  const size_t count = input.tracks.size();
  work_.resize(count);
  output_.tracks.resize(count);

  for (TrackState& state : states_) {
    state.seen = false;
    // A minute without a down step: the link is stable again, forget the flaps.
    if (state.hasDown && nowMs - state.lastDownMs >= options_.stableMs) {
      state.backOffMs = options_.backOffMs;
    }
  }

  for (size_t i = 0; i < count; ++i) {
    const Track& track = input.tracks[i];
    Work& work = work_[i];
    work.state = StateFor(track.id, i);
    work.tierCount = std::clamp(track.tierCount, 0, kMaxTiers);
    work.wanted = std::min(track.wantedTier, work.tierCount - 1);
    if (work.wanted < 0) work.wanted = kNoTier;
    work.current = std::clamp(track.currentTier, kNoTier, work.tierCount - 1);
    work.from = work.wanted < 0 ? kNoTier : std::min(work.current, work.wanted);
    // Rule 4, re-plan: the wanted tier got cheaper (the publisher was re-planned to a level
    // this link affords): the pause or step down was a verdict on the old tier, not this one.
    TrackState& state = states_[work.state];
    const uint32_t wantedMaxBps = work.wanted >= 0 ? track.tiers[work.wanted].maxBps : 0;
    if (wantedMaxBps > 0 && wantedMaxBps < state.wantedMaxBps) {
      state.pausedByBandwidth = false;
      state.limited = false;
      state.holdSinceMs.reset();
    }
    state.wantedMaxBps = wantedMaxBps;
    // Rule 4, growth waits for the probe: from the round the wanted tier rises.
    if (work.wanted > state.wantedTier && state.wantedTier != kNoTier) state.grewAtMs = nowMs;
    if (work.wanted < 0) state.grewAtMs.reset();
    state.wantedTier = work.wanted;
  }

  // Priority order, stable: one pass per class (no allocation, unlike std::stable_sort).
  order_.clear();
  for (int priorityClass = 0; priorityClass < kPriorityClasses; ++priorityClass) {
    for (size_t i = 0; i < count; ++i) {
      if (ClassOf(input.tracks[i].priority) == priorityClass) order_.push_back(i);
    }
  }

  const int64_t reserved = static_cast<int64_t>(input.audioBps) + input.overheadBps;
  const int64_t available =
      std::max<int64_t>(static_cast<int64_t>(input.estimateBps) - reserved, 0);
  Fit(input, available);
  Move(input, nowMs);
  Share(input, available);

  output_.totalAllocatedBps = 0;
  output_.desiredBps = DesiredBps(input);
  for (size_t i = 0; i < count; ++i) {
    const Track& track = input.tracks[i];
    const Work& work = work_[i];
    Decision& decision = output_.tracks[i];
    decision.id = track.id;
    decision.targetTier = work.target;
    decision.allocatedBps = 0;
    decision.budgetBps = static_cast<uint32_t>(
        std::clamp<int64_t>(work.remainingAtTurn, 0, std::numeric_limits<uint32_t>::max()));
    decision.limitedByBandwidth = work.wanted >= 0 && work.fitted < work.wanted;
    if (work.target >= 0) {
      const int64_t maxBps = track.tiers[work.target].maxBps;
      const int64_t allocated = std::min(maxBps, work.targetNeed + work.extra);
      decision.allocatedBps = static_cast<uint32_t>(
          std::clamp<int64_t>(allocated, 0, std::numeric_limits<uint32_t>::max()));
    }
    if (work.target < work.current) {
      decision.direction = Direction::kDown;
    } else if (work.target > work.current) {
      decision.direction = Direction::kUp;
    } else {
      decision.direction = Direction::kSame;
    }
    output_.totalAllocatedBps += decision.allocatedBps;
  }

  std::erase_if(states_, [](const TrackState& state) { return !state.seen; });
  return output_;
}

}  // namespace myriad::congestion
