#include "simulcast/ActiveSpeakerSelector.h"

#include <algorithm>
#include <cassert>
#include <tuple>

namespace myriad::simulcast {

ActiveSpeakerSelector::ActiveSpeakerSelector(Options options)
    : options_(options),
      speakers_(options.slots, kNone),
      slotSinceMs_(options.slots, 0),
      lastSpeakers_(options.slots, kNone) {}

void ActiveSpeakerSelector::AddSource(SourceId id, bool priority, int64_t nowMs) {
  if (id == kNone) return;
  if (const size_t index = IndexOf(id); index != kNoIndex) {
    sources_[index].priority = priority;
    return;
  }
  indexById_.emplace(id, sources_.size());
  sources_.push_back(Source{
      .id = id,
      .priority = priority,
      .addedMs = nowMs,
      .addedSequence = nextSequence_++,
      .smoother =
          AudioLevelSmoother(options_.smoothingMs, options_.silenceTimeoutMs, options_.releaseMs)});
}

void ActiveSpeakerSelector::RemoveSource(SourceId id) {
  const size_t index = IndexOf(id);
  if (index == kNoIndex) return;
  if (const int slot = sources_[index].slot; slot != kNoSlot) speakers_[slot] = kNone;
  if (standby_ == id) standby_ = kNone;
  // Swap with the last so removal is O(1); only the moved source's index changes.
  if (index != sources_.size() - 1) {
    sources_[index] = sources_.back();
    indexById_[sources_[index].id] = index;
  }
  sources_.pop_back();
  indexById_.erase(id);
}

void ActiveSpeakerSelector::SetPriority(SourceId id, bool priority) {
  if (const size_t index = IndexOf(id); index != kNoIndex) sources_[index].priority = priority;
}

void ActiveSpeakerSelector::OnAudioLevel(SourceId id, uint8_t level, int64_t nowMs) {
  const auto it = indexById_.find(id);
  if (it == indexById_.end()) return;
  sources_[it->second].smoother.OnSample(level, nowMs);
}

bool ActiveSpeakerSelector::Update(int64_t nowMs) {
  for (Source& source : sources_) source.levelDbov = source.smoother.LevelDbov(nowMs);

  AssignPriority(nowMs);
  FillEmptySlots(nowMs);
  ReplaceWeakHolders(nowMs);
  UpdateStandby();

  const bool changed = speakers_ != lastSpeakers_ || standby_ != lastStandby_;
  std::copy(speakers_.begin(), speakers_.end(), lastSpeakers_.begin());
  lastStandby_ = standby_;
  return changed;
}

void ActiveSpeakerSelector::AssignPriority(int64_t nowMs) {
  for (;;) {
    const size_t waiting = EarliestWaitingPriority();
    if (waiting == kNoIndex) return;
    int slot = LowestEmptySlot();
    if (slot == kNoSlot) slot = WeakestReplaceable(nowMs, /*requireHold=*/false);
    if (slot == kNoSlot) return;  // every position holds a priority source
    Assign(slot, waiting, nowMs);
  }
}

void ActiveSpeakerSelector::FillEmptySlots(int64_t nowMs) {
  for (int slot = LowestEmptySlot(); slot != kNoSlot; slot = LowestEmptySlot()) {
    const size_t candidate = LoudestCandidate();
    if (candidate == kNoIndex) return;
    Assign(slot, candidate, nowMs);
  }
}

void ActiveSpeakerSelector::ReplaceWeakHolders(int64_t nowMs) {
  // Each pass puts a strictly louder source (IsLouder is a total order) in place of a holder, so
  // this ends, even with minHoldMs and switchMarginDb at 0.
  for (;;) {
    const size_t candidate = LoudestCandidate();
    if (candidate == kNoIndex) return;
    const int slot = WeakestReplaceable(nowMs, /*requireHold=*/true);
    if (slot == kNoSlot) return;
    const Source& holder = sources_[IndexOf(speakers_[slot])];
    const Source& challenger = sources_[candidate];
    const bool beatsByMargin = challenger.levelDbov >= holder.levelDbov + options_.switchMarginDb;
    // The loudest candidate against the weakest holder: if it fails, every other pair fails too.
    if (!IsLouder(challenger, holder) || (!beatsByMargin && IsActive(holder))) return;
    Assign(slot, candidate, nowMs);
  }
}

void ActiveSpeakerSelector::UpdateStandby() {
  const size_t loudest = LoudestCandidate();
  if (loudest == kNoIndex) {
    standby_ = kNone;
    return;
  }
  const size_t current = IndexOf(standby_);
  const bool keepCurrent =
      current != kNoIndex && sources_[current].slot == kNoSlot && IsActive(sources_[current]) &&
      sources_[loudest].levelDbov < sources_[current].levelDbov + options_.switchMarginDb;
  if (!keepCurrent) standby_ = sources_[loudest].id;
}

void ActiveSpeakerSelector::SelectionFor(SourceId self, std::span<SourceId> out) const {
  assert(out.size() >= speakers_.size());
  const size_t count = std::min(out.size(), speakers_.size());
  for (size_t i = 0; i < count; ++i) {
    out[i] = (self != kNone && speakers_[i] == self) ? standby_ : speakers_[i];
  }
}

double ActiveSpeakerSelector::SmoothedLevelDbov(SourceId id, int64_t nowMs) const {
  const size_t index = IndexOf(id);
  if (index == kNoIndex) return AudioLevelSmoother::kSilenceDbov;
  return sources_[index].smoother.LevelDbov(nowMs);
}

size_t ActiveSpeakerSelector::IndexOf(SourceId id) const {
  const auto it = indexById_.find(id);
  return it == indexById_.end() ? kNoIndex : it->second;
}

bool ActiveSpeakerSelector::IsActive(const Source& source) const {
  return source.levelDbov >= options_.activityThresholdDbov;
}

bool ActiveSpeakerSelector::IsLouder(const Source& a, const Source& b) {
  if (a.levelDbov != b.levelDbov) return a.levelDbov > b.levelDbov;
  return a.id < b.id;
}

size_t ActiveSpeakerSelector::LoudestCandidate() const {
  size_t best = kNoIndex;
  for (size_t i = 0; i < sources_.size(); ++i) {
    const Source& source = sources_[i];
    if (source.slot != kNoSlot || !IsActive(source)) continue;
    if (best == kNoIndex || IsLouder(source, sources_[best])) best = i;
  }
  return best;
}

size_t ActiveSpeakerSelector::EarliestWaitingPriority() const {
  size_t best = kNoIndex;
  for (size_t i = 0; i < sources_.size(); ++i) {
    const Source& source = sources_[i];
    if (!source.priority || source.slot != kNoSlot) continue;
    if (best == kNoIndex || std::tie(source.addedMs, source.addedSequence) <
                                std::tie(sources_[best].addedMs, sources_[best].addedSequence)) {
      best = i;
    }
  }
  return best;
}

int ActiveSpeakerSelector::WeakestReplaceable(int64_t nowMs, bool requireHold) const {
  int weakest = kNoSlot;
  const Source* weakestSource = nullptr;
  for (size_t slot = 0; slot < speakers_.size(); ++slot) {
    if (speakers_[slot] == kNone) continue;
    const Source& holder = sources_[IndexOf(speakers_[slot])];
    if (holder.priority) continue;
    if (requireHold && nowMs - slotSinceMs_[slot] < options_.minHoldMs) continue;
    if (weakestSource == nullptr || IsLouder(*weakestSource, holder)) {
      weakest = static_cast<int>(slot);
      weakestSource = &holder;
    }
  }
  return weakest;
}

int ActiveSpeakerSelector::LowestEmptySlot() const {
  for (size_t slot = 0; slot < speakers_.size(); ++slot) {
    if (speakers_[slot] == kNone) return static_cast<int>(slot);
  }
  return kNoSlot;
}

void ActiveSpeakerSelector::Assign(int slot, size_t index, int64_t nowMs) {
  if (const SourceId previous = speakers_[slot]; previous != kNone) {
    sources_[IndexOf(previous)].slot = kNoSlot;
  }
  speakers_[slot] = sources_[index].id;
  slotSinceMs_[slot] = nowMs;
  sources_[index].slot = slot;
  if (standby_ == sources_[index].id) standby_ = kNone;
}

}  // namespace myriad::simulcast
