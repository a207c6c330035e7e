#include "simulcast/LayerSelector.h"

#include <algorithm>

namespace myriad::simulcast {

LayerSelector::LayerSelector() : LayerSelector(Options{}) {}

LayerSelector::LayerSelector(Options options) : options_(options) {}

void LayerSelector::SetWantedTier(int tier) {
  wanted_ = tier < 0 ? kNoTier : std::min(tier, kMaxTiers - 1);
  Retarget();
}

void LayerSelector::SetAvailableTiers(uint32_t mask) {
  available_ = mask & kAllTiers;
  Retarget();
}

void LayerSelector::SetMaxTier(int tier) {
  cap_ = std::clamp(tier, 0, kUncapped);
  Retarget();
}

bool LayerSelector::StepDown() {
  int from = cap_;
  if (current_ != kNoTier) from = std::min(from, current_);
  if (target_ != kNoTier) from = std::min(from, target_);
  if (from == 0) return false;
  cap_ = from - 1;
  Retarget();
  return true;
}

bool LayerSelector::StepUp() {
  if (wanted_ == kNoTier || cap_ >= wanted_) return false;
  ++cap_;
  Retarget();
  return true;
}

LayerSelector::Decision LayerSelector::OnPacket(int tier, bool keyFrameStart, int64_t nowMs) {
  if (tier < 0 || tier >= kMaxTiers) {
    CheckStale(nowMs);
    return {};
  }
  if (!observing_) {
    observing_ = true;
    lastPacketMs_.fill(nowMs);
  }
  // Refresh this tier first, so the key frame that ends its pause can switch right away.
  lastPacketMs_[tier] = nowMs;
  if ((stale_ & Bit(tier)) != 0) {
    stale_ &= ~Bit(tier);
    Retarget();
  }
  CheckStale(nowMs);

  if (tier == target_ && tier != current_ && keyFrameStart) {
    const Decision decision{
        .forward = true,
        .switched = true,
        .timestampDelta = hasForwarded_ ? TimestampDeltaFor(nowMs - lastForwardedMs_) : 0};
    SwitchTo(tier, nowMs);
    return decision;
  }
  if (tier != current_) return {};
  lastForwardedMs_ = nowMs;
  return {.forward = true};
}

std::optional<int> LayerSelector::KeyFrameRequest(int64_t nowMs) {
  CheckStale(nowMs);
  if (target_ == current_) {  // includes "no target": nothing to wait for
    requestedTier_ = kNoTier;
    return std::nullopt;
  }
  if (target_ == requestedTier_ && nowMs - lastRequestMs_ < options_.keyFrameRetryMs) {
    return std::nullopt;
  }
  requestedTier_ = target_;
  lastRequestMs_ = nowMs;
  ++counters_.keyFrameRequests;
  return target_;
}

uint32_t LayerSelector::TimestampDeltaFor(int64_t elapsedMs) {
  constexpr int64_t kMaxDelta = (int64_t{1} << 31) - 1;
  constexpr int64_t kTicksPerMs = kVideoClockRateHz / 1000;
  const int64_t ms = std::clamp<int64_t>(elapsedMs, 1, kMaxDelta / kTicksPerMs);
  return static_cast<uint32_t>(ms * kTicksPerMs);
}

int LayerSelector::ResolveTarget() const {
  if (wanted_ == kNoTier) return kNoTier;
  uint32_t usable = available_;
  if (const uint32_t flowing = usable & ~stale_; flowing != 0) usable = flowing;
  const int capped = std::min(wanted_, cap_);
  for (int tier = capped; tier >= 0; --tier) {
    if ((usable & Bit(tier)) != 0) return tier;
  }
  for (int tier = capped + 1; tier < kMaxTiers; ++tier) {
    if ((usable & Bit(tier)) != 0) return tier;
  }
  return kNoTier;
}

void LayerSelector::Retarget() {
  target_ = ResolveTarget();
  if (target_ == kNoTier) current_ = kNoTier;
}

void LayerSelector::CheckStale(int64_t nowMs) {
  if (!observing_) return;
  uint32_t stale = stale_;
  for (int tier = 0; tier < kMaxTiers; ++tier) {
    if (nowMs - lastPacketMs_[tier] >= options_.staleAfterMs) {
      stale |= Bit(tier);
    }
  }
  if (stale == stale_) return;
  stale_ = stale;
  Retarget();
}

void LayerSelector::SwitchTo(int tier, int64_t nowMs) {
  if (current_ == kNoTier) {
    ++counters_.starts;
  } else if (tier > current_) {
    ++counters_.switchesUp;
  } else {
    ++counters_.switchesDown;
  }
  current_ = tier;
  hasForwarded_ = true;
  lastForwardedMs_ = nowMs;
  requestedTier_ = kNoTier;
}

}  // namespace myriad::simulcast
