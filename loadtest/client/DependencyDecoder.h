#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "loadtest/client/LtrFramePayload.h"
#include "rtp/SequenceNumber.h"

namespace myriad::loadtest {

// A receiver's video decoder, modelled on the frame records LtrVideoSender
// writes (LtrFramePayload) instead of pixels: it reassembles frames from
// packets, decodes them in order the way a codec with long-term references
// could, and says what feedback a native client would send. Time is passed
// in (milliseconds of any steady clock); LtrVideoReceiver is the network
// glue.
//
// A frame decodes when all its packets arrived and
// - it is a key frame (always), or
// - it is a delta frame and the frame it references (the previous one) was
//   the last decoded, or
// - it is a recovery frame and the long-term reference it predicts from was
//   decoded (since the last key frame).
// Frames decode in order; a key frame or a decodable recovery frame newer
// than the last decoded frame ends a break, skipping what lies between.
//
// Feedback (Actions):
// - a NACK (RFC 4585 6.2.1) for every sequence number a gap shows missing,
//   repeated every `nackRetryMs` up to `maxNacksPerPacket` times;
// - an acknowledgement (RPSI kind 1) for every decoded long-term reference;
// - a key frame request (PLI) when the next frame has not decoded
//   `repairWaitMs` after a newer frame arrived (the loss NACK did not repair
//   in time, or a broken reference chain), repeated every
//   `keyFrameRequestRetryMs` while that lasts. The server turns it into a
//   "recover from" when it can.
//
// Stalls: every interval between two decoded frames (and, at Finish, from
// the last decoded frame to the end) longer than 200 ms, 500 ms and 2 s is
// counted, in each class it exceeds; the time before the first decoded frame
// (joining) is not a stall.
class DependencyDecoder {
 public:
  struct Options {
    int64_t repairWaitMs = 150;
    int64_t nackRetryMs = 40;
    int maxNacksPerPacket = 3;
    int64_t keyFrameRequestRetryMs = 1000;
    // A gap larger than this is not NACKed (the key frame request repairs it).
    size_t maxNackGap = 100;
    // Frames and missing packets waiting are bounded: the oldest go.
    size_t maxPendingFrames = 128;
    size_t maxMissingPackets = 512;
  };

  struct Packet {
    uint16_t sequenceNumber = 0;  // as received (the server rewrites them)
    LtrFramePayload record;
  };

  // What to send after an event. The vectors are cleared by the decoder at
  // the start of each call and keep their capacity.
  struct Actions {
    std::vector<uint16_t> nacks;
    std::vector<uint16_t> acknowledgements;  // frame ids
    bool requestKeyFrame = false;
    void Clear() {
      nacks.clear();
      acknowledgements.clear();
      requestKeyFrame = false;
    }
  };

  struct Stats {
    uint64_t packets = 0;
    uint64_t duplicatePackets = 0;
    uint64_t framesDecoded = 0;
    uint64_t keyFramesReceived = 0;  // complete key frames, decoded or not
    uint64_t keyFramesDecoded = 0;
    uint64_t recoveryFramesDecoded = 0;
    uint64_t framesSkipped = 0;  // never decoded: lost or behind a break
    uint64_t nacksSent = 0;      // sequence numbers asked for, repeats included
    uint64_t packetsRepaired = 0;
    uint64_t keyFrameRequests = 0;
    uint64_t acknowledgementsSent = 0;
    uint64_t stallsOver200Ms = 0;
    uint64_t stallsOver500Ms = 0;
    uint64_t stallsOver2s = 0;
    int64_t longestStallMs = 0;
    int64_t timeInStallsOver200MsMs = 0;
    // Frame ids from the first frame seen to the newest (unwrapped): what the
    // stream carried while we watched it.
    uint64_t framesSpanned = 0;
  };

  explicit DependencyDecoder(Options options);

  void OnPacket(const Packet& packet, int64_t nowMs, Actions& actions);
  // Retries NACKs and requests key frames for breaks; call every 10-20 ms.
  void OnTimer(int64_t nowMs, Actions& actions);
  // Closes the stall statistics at `nowMs` (end of the measurement).
  void Finish(int64_t nowMs);

  // The last decoded frame's id, if any.
  std::optional<uint16_t> LastDecoded() const;
  // True from a key frame request until a frame decodes.
  bool AwaitingKeyFrame() const { return awaitingRepairSinceMs_.has_value(); }
  const Stats& GetStats() const { return stats_; }

 private:
  struct PendingFrame {
    LtrFramePayload::FrameType type = LtrFramePayload::FrameType::kKey;
    bool longTermReference = false;
    int64_t referenceId = 0;  // unwrapped
    uint16_t packetCount = 1;
    uint64_t receivedMask = 0;
    bool Complete() const;
  };
  struct MissingPacket {
    int64_t lastNackMs = 0;
    int nacks = 0;
  };

  void TrackSequence(uint16_t sequenceNumber, int64_t nowMs, Actions& actions);
  void DecodeWhatCan(int64_t nowMs, Actions& actions);
  bool Decodable(int64_t id, const PendingFrame& frame) const;
  void Decode(int64_t id, const PendingFrame& frame, int64_t nowMs, Actions& actions);
  void CountGap(int64_t gapMs);
  void CheckBreak(int64_t nowMs, Actions& actions);

  Options options_;
  rtp::WrappingUnwrapper<uint16_t> frameIds_;
  rtp::SeqNumUnwrapper sequenceNumbers_;
  std::optional<int64_t> highestSequence_;
  std::map<int64_t, MissingPacket> missing_;
  std::map<int64_t, PendingFrame> frames_;
  std::set<int64_t> decodedReferences_;  // since the last decoded key frame
  std::optional<int64_t> lastDecoded_;
  std::optional<int64_t> lastDecodeMs_;
  std::optional<int64_t> firstFrameSeen_;
  std::optional<int64_t> newestFrameSeen_;
  // Since when a newer frame waits behind the next one.
  std::optional<int64_t> blockedSinceMs_;
  std::optional<int64_t> awaitingRepairSinceMs_;
  std::optional<int64_t> lastKeyFrameRequestMs_;
  bool finished_ = false;
  Stats stats_;
};

}  // namespace myriad::loadtest
