#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "loadtest/client/LtrFramePayload.h"

namespace myriad::loadtest {

// What a video encoder with long-term references (LTR) decides frame by
// frame, without the pixels: which frames are key, delta or recovery
// frames, which ones it keeps as long-term references, and what each
// predicts from. LtrVideoSender packetizes the decisions; tests drive this
// class alone.
//
// The contract (docs/protocol.md "Long-term references"):
// - every `ltrIntervalFrames`-th frame is marked as a long-term reference,
//   and so is every key frame;
// - it keeps at least the references named by its last two distinct
//   aggregate acknowledgements (RPSI kind 1 from the server), plus the ones
//   not acknowledged yet (acknowledgements may still come for them), at most
//   `maxHeldReferences` in all: an older unacknowledged one goes first;
// - "recover from" (RPSI kind 2) makes the next frame a recovery frame
//   predicted only from that reference if it still holds it, else a key
//   frame; a key frame request (PLI/FIR) makes it a key frame, which drops
//   every reference and acknowledgement before it.
// With `longTermReferences` off it is the PLI-only baseline: no references
// are marked, and a recovery request (which a server would not send) is
// answered with a key frame.
//
// Frame ids are 16-bit, +1 per frame, wrapping (the Dependency Descriptor's
// frame_number), ordered with serial-number arithmetic. No clock.
class LtrEncoderModel {
 public:
  using FrameType = LtrFramePayload::FrameType;

  struct Options {
    bool longTermReferences = true;
    uint32_t ltrIntervalFrames = 15;  // 0 is taken as 1
    uint16_t firstFrameId = 0;
    size_t maxHeldReferences = 8;  // at least the two acknowledged ones
  };

  struct Frame {
    uint16_t frameId = 0;
    FrameType type = FrameType::kKey;
    bool longTermReference = false;
    uint16_t referenceId = 0;  // = frameId for a key frame
    friend bool operator==(const Frame&, const Frame&) = default;
  };

  struct Counters {
    uint64_t frames = 0;
    uint64_t keyFrames = 0;
    uint64_t recoveryFrames = 0;
    uint64_t longTermReferences = 0;  // frames marked as references (key frames included)
    uint64_t keyFrameRequests = 0;    // PLI/FIR
    uint64_t recoverFromRequests = 0;
    // "Recover from" a reference no longer (or never) held: a key frame.
    uint64_t recoverFromUnheld = 0;
    uint64_t acknowledgements = 0;  // aggregate acknowledgements that named a held reference
  };

  explicit LtrEncoderModel(Options options);

  // PLI or FIR: the next frame is a key frame.
  void OnKeyFrameRequest();
  // The server's aggregate acknowledgement: every viewer decoded `frameId`.
  // Ignored unless it names a held reference (a repeat, or one from before
  // the last key frame, changes nothing).
  void OnAcknowledged(uint16_t frameId);
  // The server's "recover from `frameId`".
  void OnRecoverFrom(uint16_t frameId);

  // Decides the next frame and moves on.
  Frame NextFrame();

  bool Holds(uint16_t frameId) const;
  // The held references, oldest first.
  const std::vector<uint16_t>& HeldReferences() const { return held_; }
  // The last two distinct aggregate acknowledgements since the last key
  // frame, newest first (empty before the first).
  const std::vector<uint16_t>& Acknowledged() const { return acknowledged_; }
  const Counters& GetCounters() const { return counters_; }
  const Options& GetOptions() const { return options_; }

 private:
  static constexpr size_t kAcknowledgedKept = 2;
  bool IsProtected(uint16_t frameId) const;
  void Prune();

  Options options_;
  uint16_t nextFrameId_;
  std::optional<uint16_t> previousFrameId_;
  bool keyFrameRequested_ = true;  // the first frame is a key frame
  std::optional<uint16_t> recoverFrom_;
  uint32_t framesSinceReference_ = 0;
  std::vector<uint16_t> held_;          // oldest first
  std::vector<uint16_t> acknowledged_;  // newest first, at most kAcknowledgedKept
  Counters counters_;
};

}  // namespace myriad::loadtest
