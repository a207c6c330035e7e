#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>

namespace myriad::congestion {

// Long-term reference (LTR) bookkeeping for one published video stream. Subscribers acknowledge
// the LTR frames they fully decoded (RPSI "acknowledged", rtp/Rpsi.h); the server tells the
// publisher the newest frame that every current subscriber acknowledged (the aggregate
// acknowledgement), and when a subscriber loses packets asks the publisher to encode its next
// frame from such a reference ("recover from") instead of sending a key frame.
//
// The publisher's side of the contract: it keeps as long-term references at least the frames
// named by its last kPublisherHeldReferences aggregate acknowledgements, and a key frame drops
// every reference before it (an H.264 IDR or a VP8/AV1 key frame resets the reference buffers).
// Those frames are the only ones the server can name in a recovery request.
//
// Frame ids are the publisher's 16-bit frame numbers and wrap; they are ordered with serial
// number arithmetic (rtp/SequenceNumber.h). Memory is bounded: the newest kMaxTrackedFrames
// distinct acknowledged frames are tracked, and a subscriber is one bit per tracked frame
// (which is also its bounded acknowledgement history). Nothing allocates after AddSubscriber.
class LtrTracker {
 public:
  static constexpr size_t kMaxTrackedFrames = 32;
  static constexpr size_t kPublisherHeldReferences = 2;
  // Acknowledgements further than this behind the newest known frame are dropped: no encoder
  // keeps a reference that long (9 minutes at 30 fps), and serial-number order only means
  // something between ids less than half the 16-bit space apart.
  static constexpr uint16_t kMaxFrameAge = 1 << 14;

  // A subscriber that joins, or joins again, has acknowledged nothing: until it acknowledges a
  // frame the others have, there is no common frame.
  void AddSubscriber(uint32_t id);
  // A leaver that was behind no longer holds the aggregate back. Returns the new aggregate
  // acknowledgement to send the publisher when removing `id` moved it forward.
  std::optional<uint16_t> RemoveSubscriber(uint32_t id);
  // Subscriber `id` fully decoded long-term reference frame `frameId`. Returns the new
  // aggregate acknowledgement to send the publisher when the newest common frame moved past the
  // last one returned (aggregate acknowledgements only move forward). Unknown subscribers,
  // frames older than the last key frame, and frames kMaxFrameAge or more behind the newest
  // known frame are ignored.
  std::optional<uint16_t> OnAcknowledged(uint32_t id, uint16_t frameId);
  // The publisher sent key frame `frameId`. Needed: the key frame dropped every reference the
  // publisher held, so the tracker forgets all acknowledgements and the references it assumed
  // the publisher holds, and ignores later-arriving acknowledgements of frames before it
  // (without this a recovery request could name a reference the publisher no longer has).
  void OnKeyFrame(uint16_t frameId);

  // The newest frame acknowledged by every current subscriber; none without subscribers or when
  // one of them has acknowledged nothing in common with the rest.
  std::optional<uint16_t> NewestCommon() const;
  // The newest aggregate acknowledgement returned so far (since the last key frame), for
  // repeating it to the publisher in case the RTCP packet carrying it was lost.
  std::optional<uint16_t> LastAggregateAcknowledgement() const;
  // The reference to ask the publisher to encode from after subscriber `id` lost packets: the
  // newest of the publisher's held references (its last kPublisherHeldReferences aggregate
  // acknowledgements) that `id` acknowledged. The recovery frame reaches every subscriber of the
  // stream, so the reference must also be acknowledged by all the others, or it would break
  // their picture instead: hence "acknowledged by every current subscriber". nullopt (unknown
  // subscriber, nothing held, or a subscriber lacks every held reference, e.g. one that joined
  // since) means: fall back to PLI.
  std::optional<uint16_t> RecoveryFrameFor(uint32_t id) const;
  // The same without naming who lost: the newest held reference every current subscriber
  // acknowledged (nullopt without subscribers), for a loss report that waited out the key
  // frame request interval.
  std::optional<uint16_t> CommonRecoveryFrame() const;

  size_t SubscriberCount() const { return acknowledgedSlots_.size(); }
  size_t TrackedFrameCount() const;

 private:
  struct TrackedFrame {
    bool used = false;
    uint16_t frameId = 0;
    size_t acknowledgedBy = 0;  // how many subscribers have this slot's bit set
  };
  using SlotMask = uint32_t;
  static_assert(kMaxTrackedFrames <= sizeof(SlotMask) * 8);

  bool IsAcceptable(uint16_t frameId) const;
  void AdvanceNewest(uint16_t frameId);
  std::optional<size_t> FindSlot(uint16_t frameId) const;
  std::optional<size_t> AllocateSlot(uint16_t frameId);
  void EvictSlot(size_t slot);
  void ClearAcknowledgements(SlotMask& mask);
  std::optional<uint16_t> ForwardIfAdvanced();

  // Subscriber id -> bit i set when it acknowledged frames_[i].
  std::unordered_map<uint32_t, SlotMask> acknowledgedSlots_;
  std::array<TrackedFrame, kMaxTrackedFrames> frames_{};
  // The aggregate acknowledgements returned, oldest first: what the publisher holds.
  std::array<uint16_t, kPublisherHeldReferences> held_{};
  size_t heldCount_ = 0;
  std::optional<uint16_t> newest_;  // newest frame id seen in an acknowledgement or key frame
  std::optional<uint16_t> floor_;   // the last key frame while it is within kMaxFrameAge
};

}  // namespace myriad::congestion
