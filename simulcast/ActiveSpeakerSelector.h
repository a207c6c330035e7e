#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "simulcast/AudioLevelSmoother.h"

namespace myriad::simulcast {

// Chooses the room's active speakers for the audio slots (docs/protocol.md "Audio slots"): each
// subscriber receives at most K audio streams, carrying the loudest of up to thousands of audio
// publishers, ranked by the RFC 6464 audio level of their packets. Pure logic, time passed in.
//
// Levels are smoothed per source (AudioLevelSmoother: exponential over `smoothingMs`, in dBov;
// `silenceTimeoutMs` without a sample is -127 dBov). A source is *active* when its smoothed level
// is at least `activityThresholdDbov`. "Louder" and "weakest" compare smoothed levels; of two
// equal levels the lower SourceId counts as louder, so results are reproducible.
//
// Update applies, in order:
//  1. Priority: a priority source without a slot takes the lowest empty position, or else the
//     weakest non-priority holder's, at once and whatever its level (no hold time, no margin).
//     A priority holder is never replaced. With more priority sources than K, slots go to them
//     earliest-added first; the others wait for a priority holder to leave (SetPriority(false) or
//     RemoveSource). Priority holders count against K.
//  2. Empty slots (never filled, or freed by RemoveSource) take the loudest active non-selected
//     sources at once, the loudest in the lowest position.
//  3. Replacement: the weakest non-priority holder w whose slot is at least `minHoldMs` old gives
//     its position to the loudest active non-selected source c when c is louder than w by at
//     least `switchMarginDb`, or w is not active (and, for a margin of 0, c ranks above w).
//     Repeated while it applies. The margin keeps two speakers at similar levels from flapping;
//     the hold time keeps a short loud burst from taking a slot that was just given.
//  4. Holders that fall silent keep their slots while no active source wants one, so the slot
//     mapping (and each slot's RTP stream) stays put through pauses.
//  5. Standby: the loudest active non-selected source, with hysteresis: the current standby stays
//     unless another beats it by `switchMarginDb`, or it stops being active, or becomes a speaker.
//     0 when no non-selected source is active. SelectionFor puts it where a subscriber's own
//     publication would be, because nobody hears themselves.
//
// Positions are stable: a newcomer always takes the position of the source it replaces or an
// empty one; speakers never move between positions.
//
// OnAudioLevel is on the packet path: O(1) hash lookup, no allocation, no exceptions. Update is
// O(K * n) for n sources. AddSource/RemoveSource may allocate (signalling, not per packet).
class ActiveSpeakerSelector {
 public:
  using SourceId = uint32_t;  // the caller's handle for one audio publication; 0 = none
  static constexpr SourceId kNone = 0;

  struct Options {
    size_t slots = 3;                    // K
    int64_t smoothingMs = 150;           // time constant of the level smoothing (rising)
    int64_t releaseMs = 0;               // ... while falling (0: smoothingMs)
    double activityThresholdDbov = -50;  // smoothed level at or above this is active
                                         // (speech is about -20..-35 dBov)
    double switchMarginDb = 6;           // a candidate must beat the weakest holder by this much
    int64_t minHoldMs = 600;             // a holder keeps its slot at least this long
    int64_t silenceTimeoutMs = 300;      // no level sample for this long = silent
  };

  explicit ActiveSpeakerSelector(Options options);

  // Adds a silent source. `nowMs` orders priority sources (earliest-added win when there are more
  // than K). Adding an id that exists only updates its priority; id 0 is ignored.
  void AddSource(SourceId id, bool priority, int64_t nowMs);
  // Frees the source's slot (and standby) at once; Update refills it.
  void RemoveSource(SourceId id);
  // Takes effect at the next Update (rule 1). A holder losing priority keeps its slot under the
  // normal rules, its hold time counted from when it got the slot.
  void SetPriority(SourceId id, bool priority);

  // Packet path: one RFC 6464 level (0..127, -dBov) per received audio packet. Unknown ids are
  // ignored.
  void OnAudioLevel(SourceId id, uint8_t level, int64_t nowMs);

  // Re-evaluates the selection (call from a timer every ~20-100 ms). Returns true when Speakers()
  // or Standby() differ from what they were after the previous Update (RemoveSource's changes
  // included).
  bool Update(int64_t nowMs);

  // The K slot holders by position (size K, 0 = empty).
  std::span<const SourceId> Speakers() const { return speakers_; }
  // The loudest active source not in Speakers() (with hysteresis), or 0.
  SourceId Standby() const { return standby_; }
  // What subscriber `self` (its own audio source, or 0 if it publishes none) hears, by position:
  // Speakers() with `self` replaced by Standby(). Writes K entries; out.size() must be >= K.
  void SelectionFor(SourceId self, std::span<SourceId> out) const;

  // For metrics and tests: the smoothed level at `nowMs` (-127 if unknown or silent).
  double SmoothedLevelDbov(SourceId id, int64_t nowMs) const;
  size_t SourceCount() const { return sources_.size(); }
  const Options& GetOptions() const { return options_; }

 private:
  static constexpr size_t kNoIndex = static_cast<size_t>(-1);
  static constexpr int kNoSlot = -1;

  struct Source {
    SourceId id = kNone;
    bool priority = false;
    int64_t addedMs = 0;
    uint64_t addedSequence = 0;  // breaks ties between sources added in the same millisecond
    AudioLevelSmoother smoother;
    double levelDbov = AudioLevelSmoother::kSilenceDbov;  // as of the current Update
    int slot = kNoSlot;                                   // position in speakers_
  };

  size_t IndexOf(SourceId id) const;
  bool IsActive(const Source& source) const;
  static bool IsLouder(const Source& a, const Source& b);
  // The loudest active source without a slot, or kNoIndex.
  size_t LoudestCandidate() const;
  // The earliest-added priority source without a slot, or kNoIndex.
  size_t EarliestWaitingPriority() const;
  // The position of the weakest non-priority holder, or kNoSlot; with `requireHold`, only among
  // holders whose slot is at least minHoldMs old.
  int WeakestReplaceable(int64_t nowMs, bool requireHold) const;
  int LowestEmptySlot() const;
  void Assign(int slot, size_t index, int64_t nowMs);

  void AssignPriority(int64_t nowMs);
  void FillEmptySlots(int64_t nowMs);
  void ReplaceWeakHolders(int64_t nowMs);
  void UpdateStandby();

  Options options_;
  std::vector<Source> sources_;
  std::unordered_map<SourceId, size_t> indexById_;
  uint64_t nextSequence_ = 0;

  std::vector<SourceId> speakers_;    // size K
  std::vector<int64_t> slotSinceMs_;  // when each position got its holder
  SourceId standby_ = kNone;

  std::vector<SourceId> lastSpeakers_;  // after the previous Update, for change detection
  SourceId lastStandby_ = kNone;
};

}  // namespace myriad::simulcast
