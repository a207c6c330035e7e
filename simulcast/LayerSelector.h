#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "simulcast/TierPlan.h"
#include "simulcast/TierPlanner.h"

namespace myriad::simulcast {

// Decides, packet by packet, which simulcast encoding ("tier") of one published video track one
// subscriber receives (issue 4; ../shared/design.md "Simulcast: 10 levels -> 4 tiers"). One per
// subscriber per subscribed video track. Pure logic, time passed in (milliseconds on any
// monotonic clock).
//
// The caller maps each incoming stream of the track to a tier index 0..kMaxTiers-1 (ascending
// resolution, TierPlan); the selector only sees those indices, and a tier index is taken to
// carry one incoming RTP stream (one sequence number space) for the selector's lifetime.
//
// Tiers:
// - wanted (SetWantedTier): the tier the plan serves the subscriber's request with; kNoTier =
//   receive nothing.
// - cap (SetMaxTier, StepDown, StepUp): the highest tier bandwidth and device allow. Starts at
//   kUncapped, the top tier, which caps nothing.
// - target: min(wanted, cap), limited to the available tiers (SetAvailableTiers; a paused
//   encoding is not available, and neither is a stale tier, see below):
//   the nearest available tier at or below min(wanted, cap), else the lowest available above it.
//   Going over the cap beats a black tile: the cap is a soft bandwidth limit and a subscriber
//   whose lower encodings are all paused has nothing else to show. No tier available: kNoTier.
// - current: the tier being forwarded (kNoTier at start).
//
// Switching: packets of the current tier are forwarded, all others dropped. The current tier
// becomes the target only at the first packet of a key frame of the target (a decoder can start
// nowhere else); until then the old tier keeps flowing, so the picture never breaks. A target
// change back to the current tier cancels a pending switch. Stopping needs no key frame: when
// the target becomes kNoTier, forwarding stops at once.
//
// Stale tiers: a tier with no packet for `staleAfterMs` (its encoding was paused before the plan
// said so, the publisher stopped it, or it never started) counts as unavailable unless every
// available tier is stale (then they all stay candidates: their packets may resume). So the
// target moves to a tier that flows and a key frame of it is requested; one packet of the tier
// makes it fresh again. Silence is counted from the first packet of the track the selector saw:
// before that, nothing is stale. Whatever the current tier does, a key frame of the target
// always switches and KeyFrameRequest keeps asking, so a subscriber never freezes on a tier that
// stopped. This needs every packet of every tier of the track to reach OnPacket, forwarded or
// not.
//
// Key frames: KeyFrameRequest names the tier to send a PLI for while target != current: at once
// when the target changes, then every `keyFrameRetryMs` until the switch (a PLI or the key frame
// can be lost). Coalescing PLIs of many subscribers is the publication's job.
//
// OnPacket and KeyFrameRequest are on the packet path: no allocation, no exceptions, O(1).
class LayerSelector {
 public:
  static constexpr int kMaxTiers = TierPlanner::kMaxTiers;
  static constexpr int kNoTier = TierPlan::kNoTier;
  static constexpr int kUncapped = kMaxTiers - 1;
  static constexpr uint32_t kAllTiers = (1U << kMaxTiers) - 1;
  // RTP clock rate of video: RFC 7741 section 4.1 (VP8), RFC 6184 section 5.1 (H.264).
  static constexpr int64_t kVideoClockRateHz = 90000;

  struct Options {
    int64_t staleAfterMs = 1000;    // a tier silent this long has stopped
    int64_t keyFrameRetryMs = 500;  // repeat a key frame request this often until switched
  };

  struct Decision {
    bool forward = false;  // send this packet to the subscriber
    // This packet starts a new segment of the outgoing stream: call
    // rtp::RtpStreamRewriter::SwitchSource (with timestampDelta) before rewriting it.
    bool switched = false;
    // When switched: the media time since the previous forwarded packet (wall time between
    // their arrivals at kVideoClockRateHz, TimestampDeltaFor), or 0 if nothing was forwarded
    // before (the rewriter then uses its initial timestamp anyway).
    uint32_t timestampDelta = 0;
    friend bool operator==(const Decision&, const Decision&) = default;
  };

  // Plain counters; the server turns them into metrics.
  struct Counters {
    uint64_t starts = 0;        // forwarding began (from no tier)
    uint64_t switchesUp = 0;    // to a higher tier
    uint64_t switchesDown = 0;  // to a lower tier
    uint64_t keyFrameRequests = 0;
  };

  LayerSelector();
  explicit LayerSelector(Options options);

  // The tier serving the subscriber's request (TierPlan::tierForLevel), or kNoTier; values above
  // the top tier count as the top tier.
  void SetWantedTier(int tier);
  // Bit t set = tier t is being sent (not paused). Bits from kMaxTiers on are ignored. Starts
  // with every tier available.
  void SetAvailableTiers(uint32_t mask);
  // The mask for "tiers 0..count-1 are available".
  static constexpr uint32_t LowestTiers(int count) {
    if (count <= 0) return 0;
    if (count >= kMaxTiers) return kAllTiers;
    return (1U << count) - 1;
  }

  // The cap, clamped to [0, kUncapped]; kUncapped removes it.
  void SetMaxTier(int tier);
  // Lowers the cap one tier: to one below the lowest of the cap, the current tier and the target
  // (those that exist), so the first step from no cap starts from what is being forwarded and
  // every step moves the target down one tier (a downgrade never jumps from top to bottom).
  // Returns false, changing nothing, when that lowest tier is already 0.
  bool StepDown();
  // Raises the cap one tier, never above the wanted tier (no effect with no wanted tier or when
  // the cap is already at or above it). Returns whether the cap changed. A step may leave the
  // target where it is when the tier it opens is not available; the next step goes on.
  bool StepUp();

  // Packet path, for every packet of the track. `tier` out of range is dropped.
  // `keyFrameStart`: the packet is the first packet of a key frame.
  Decision OnPacket(int tier, bool keyFrameStart, int64_t nowMs);

  // Call after changing wanted tier, cap or availability, and periodically (every worker tick):
  // the tier to send a PLI for now, or nullopt.
  std::optional<int> KeyFrameRequest(int64_t nowMs);

  // Wall time between two packets as an RTP timestamp delta at kVideoClockRateHz: at least 1 ms
  // worth (consecutive frames must not share a timestamp) and less than half the timestamp
  // space (RFC 3550 receivers compare timestamps modulo 2^32).
  static uint32_t TimestampDeltaFor(int64_t elapsedMs);

  int WantedTier() const { return wanted_; }
  int MaxTier() const { return cap_; }
  uint32_t AvailableTiers() const { return available_; }
  int TargetTier() const { return target_; }
  int CurrentTier() const { return current_; }
  bool IsSwitching() const { return target_ != current_; }
  // Bit t set = tier t is stale, as of the latest OnPacket or KeyFrameRequest.
  uint32_t StaleTiers() const { return stale_; }
  const Counters& GetCounters() const { return counters_; }
  const Options& GetOptions() const { return options_; }

 private:
  static constexpr uint32_t Bit(int tier) { return 1U << tier; }

  int ResolveTarget() const;
  // Recomputes the target after any of its inputs changed.
  void Retarget();
  // Marks tiers stale once they have been silent for staleAfterMs.
  void CheckStale(int64_t nowMs);
  void SwitchTo(int tier, int64_t nowMs);

  Options options_;
  int wanted_ = kNoTier;
  int cap_ = kUncapped;
  uint32_t available_ = kAllTiers;
  int target_ = kNoTier;
  int current_ = kNoTier;

  bool observing_ = false;  // a packet of the track has arrived
  uint32_t stale_ = 0;      // bit t: tier t has been silent for staleAfterMs
  // Arrival of each tier's newest packet, or of the track's first packet if it had none.
  std::array<int64_t, kMaxTiers> lastPacketMs_{};
  bool hasForwarded_ = false;
  int64_t lastForwardedMs_ = 0;  // arrival of the newest forwarded packet (any segment)

  int requestedTier_ = kNoTier;  // tier of the pending key frame request, if any
  int64_t lastRequestMs_ = 0;

  Counters counters_;
};

}  // namespace myriad::simulcast
