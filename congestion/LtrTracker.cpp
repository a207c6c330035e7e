#include "congestion/LtrTracker.h"

#include "rtp/SequenceNumber.h"

namespace myriad::congestion {

namespace {
// How far `frameId` is behind `newest` (0 when equal).
uint16_t AgeOf(uint16_t frameId, uint16_t newest) {
  return static_cast<uint16_t>(newest - frameId);
}
}  // namespace

void LtrTracker::AddSubscriber(uint32_t id) {
  const auto [it, inserted] = acknowledgedSlots_.try_emplace(id, 0);
  if (!inserted) ClearAcknowledgements(it->second);
}

std::optional<uint16_t> LtrTracker::RemoveSubscriber(uint32_t id) {
  const auto it = acknowledgedSlots_.find(id);
  if (it == acknowledgedSlots_.end()) return std::nullopt;
  ClearAcknowledgements(it->second);
  acknowledgedSlots_.erase(it);
  return ForwardIfAdvanced();
}

std::optional<uint16_t> LtrTracker::OnAcknowledged(uint32_t id, uint16_t frameId) {
  const auto it = acknowledgedSlots_.find(id);
  if (it == acknowledgedSlots_.end() || !IsAcceptable(frameId)) return std::nullopt;
  AdvanceNewest(frameId);
  std::optional<size_t> slot = FindSlot(frameId);
  if (!slot) slot = AllocateSlot(frameId);
  if (!slot) return std::nullopt;  // older than every tracked frame while the table is full
  const SlotMask bit = SlotMask{1} << *slot;
  if ((it->second & bit) == 0) {
    it->second |= bit;
    ++frames_[*slot].acknowledgedBy;
  }
  return ForwardIfAdvanced();
}

void LtrTracker::OnKeyFrame(uint16_t frameId) {
  for (auto& [id, mask] : acknowledgedSlots_) mask = 0;
  frames_.fill(TrackedFrame{});
  heldCount_ = 0;
  newest_ = frameId;
  floor_ = frameId;
}

std::optional<uint16_t> LtrTracker::NewestCommon() const {
  if (acknowledgedSlots_.empty()) return std::nullopt;
  std::optional<uint16_t> newest;
  for (const TrackedFrame& frame : frames_) {
    if (!frame.used || frame.acknowledgedBy != acknowledgedSlots_.size()) continue;
    if (!newest || rtp::IsSeqNewer(frame.frameId, *newest)) newest = frame.frameId;
  }
  return newest;
}

std::optional<uint16_t> LtrTracker::LastAggregateAcknowledgement() const {
  if (heldCount_ == 0) return std::nullopt;
  return held_[heldCount_ - 1];
}

std::optional<uint16_t> LtrTracker::RecoveryFrameFor(uint32_t id) const {
  if (!acknowledgedSlots_.contains(id)) return std::nullopt;
  return CommonRecoveryFrame();
}

std::optional<uint16_t> LtrTracker::CommonRecoveryFrame() const {
  if (acknowledgedSlots_.empty()) return std::nullopt;
  for (size_t i = heldCount_; i-- > 0;) {
    const std::optional<size_t> slot = FindSlot(held_[i]);
    if (slot && frames_[*slot].acknowledgedBy == acknowledgedSlots_.size()) return held_[i];
  }
  return std::nullopt;
}

size_t LtrTracker::TrackedFrameCount() const {
  size_t count = 0;
  for (const TrackedFrame& frame : frames_) count += frame.used ? 1 : 0;
  return count;
}

bool LtrTracker::IsAcceptable(uint16_t frameId) const {
  if (!newest_ || frameId == *newest_ || rtp::IsSeqNewer(frameId, *newest_)) return true;
  if (AgeOf(frameId, *newest_) >= kMaxFrameAge) return false;
  // The key frame made every earlier reference useless, even if its acknowledgement arrives late.
  return !floor_ || !rtp::IsSeqNewer(*floor_, frameId);
}

void LtrTracker::AdvanceNewest(uint16_t frameId) {
  if (newest_ && !rtp::IsSeqNewer(frameId, *newest_)) return;
  newest_ = frameId;
  // Keep every tracked id within kMaxFrameAge of the newest, so that ordering them stays exact.
  for (size_t slot = 0; slot < frames_.size(); ++slot) {
    if (frames_[slot].used && AgeOf(frames_[slot].frameId, frameId) >= kMaxFrameAge) {
      EvictSlot(slot);
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < heldCount_; ++i) {
    if (AgeOf(held_[i], frameId) < kMaxFrameAge) held_[kept++] = held_[i];
  }
  heldCount_ = kept;
  // Anything acceptable from now on is newer than a key frame this old.
  if (floor_ && AgeOf(*floor_, frameId) >= kMaxFrameAge) floor_.reset();
}

std::optional<size_t> LtrTracker::FindSlot(uint16_t frameId) const {
  for (size_t slot = 0; slot < frames_.size(); ++slot) {
    if (frames_[slot].used && frames_[slot].frameId == frameId) return slot;
  }
  return std::nullopt;
}

std::optional<size_t> LtrTracker::AllocateSlot(uint16_t frameId) {
  std::optional<size_t> oldest;
  for (size_t slot = 0; slot < frames_.size(); ++slot) {
    if (!frames_[slot].used) {
      frames_[slot] = TrackedFrame{true, frameId, 0};
      return slot;
    }
    if (!oldest || rtp::IsSeqNewer(frames_[*oldest].frameId, frames_[slot].frameId)) oldest = slot;
  }
  // Full: the newest frames matter (the publisher keeps only its latest references), so the
  // oldest tracked frame makes room, unless the new one is older still.
  if (rtp::IsSeqNewer(frames_[*oldest].frameId, frameId)) return std::nullopt;
  EvictSlot(*oldest);
  frames_[*oldest] = TrackedFrame{true, frameId, 0};
  return oldest;
}

void LtrTracker::EvictSlot(size_t slot) {
  const SlotMask bit = SlotMask{1} << slot;
  for (auto& [id, mask] : acknowledgedSlots_) mask &= ~bit;
  frames_[slot] = TrackedFrame{};
}

void LtrTracker::ClearAcknowledgements(SlotMask& mask) {
  for (size_t slot = 0; slot < frames_.size(); ++slot) {
    if ((mask & (SlotMask{1} << slot)) == 0) continue;
    // A frame nobody acknowledges any more frees its slot.
    if (--frames_[slot].acknowledgedBy == 0) frames_[slot] = TrackedFrame{};
  }
  mask = 0;
}

std::optional<uint16_t> LtrTracker::ForwardIfAdvanced() {
  const std::optional<uint16_t> common = NewestCommon();
  if (!common) return std::nullopt;
  if (heldCount_ > 0 && !rtp::IsSeqNewer(*common, held_[heldCount_ - 1])) return std::nullopt;
  if (heldCount_ == held_.size()) {
    for (size_t i = 1; i < heldCount_; ++i) held_[i - 1] = held_[i];
    --heldCount_;
  }
  held_[heldCount_++] = *common;
  return common;
}

}  // namespace myriad::congestion
