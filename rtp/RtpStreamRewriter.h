#pragma once

// Sequence number / timestamp rewriting for one forwarded (outgoing) RTP stream. The SFU
// splices packets from different incoming streams (simulcast layers, a different speaker)
// into one outgoing stream; the receiver must see one continuous stream (RFC 3550 5.1: seq
// increments by one per packet, timestamps keep advancing), or its jitter buffer resets.
//
// Model: the outgoing stream is a list of segments. Each segment forwards one incoming source
// with a fixed seq offset and timestamp offset. A segment starts with the first packet after
// SwitchSource(); that packet becomes "last sent + 1" and its timestamp "last sent + delta".
// Within a segment gaps are preserved (so receivers NACK real losses), reordering is fine,
// and packets older than the segment's first packet are dropped: their outgoing numbers would
// collide with the previous segment.
//
// Pure logic, no I/O, no allocation.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "rtp/SequenceNumber.h"

namespace myriad::rtp {

class RtpStreamRewriter {
 public:
  struct Header {
    uint16_t sequenceNumber = 0;
    uint32_t timestamp = 0;
    friend bool operator==(const Header&, const Header&) = default;
  };
  struct IncomingPacket {
    uint32_t sourceId = 0;
    uint16_t sequenceNumber = 0;
    friend bool operator==(const IncomingPacket&, const IncomingPacket&) = default;
  };
  // Segments remembered for mapping retransmissions and NACKs that straddle a switch.
  static constexpr size_t kSegmentHistory = 8;

  // The seed picks the initial outgoing seq and timestamp (RFC 3550 5.1 recommends random
  // initial values); the same seed always gives the same stream, which keeps tests repeatable.
  explicit RtpStreamRewriter(uint64_t seed);

  // Packets passed to Rewrite from now on come from `sourceId` (e.g. its SSRC). For the very
  // first source the seeded initial values are used; afterwards the next packet continues at
  // last sent seq + 1 and last sent timestamp + `timestampDelta` (the caller's estimate of the
  // media time elapsed since that packet, in the clock rate of the stream).
  void SwitchSource(uint32_t sourceId, uint32_t timestampDelta);

  // Outgoing header for a packet of the current source, or nullopt when it must be dropped:
  // no source selected yet, or the packet is older than the first one forwarded since the
  // last switch.
  std::optional<Header> Rewrite(uint16_t sequenceNumber, uint32_t timestamp);

  // For resending a packet that was already forwarded (NACK served from a cache of incoming
  // packets): the header it had, without changing state. nullopt if that packet was never
  // part of the outgoing stream (before its segment, or beyond the highest sent).
  std::optional<Header> MapRetransmission(uint32_t sourceId, uint16_t sequenceNumber,
                                          uint32_t timestamp) const;

  // Reverse mapping for NACKs from the receiver: which incoming packet an outgoing seq was.
  std::optional<IncomingPacket> ToIncoming(uint16_t outgoingSequenceNumber) const;

  bool HasSent() const { return hasSent_; }
  uint16_t LastSentSequenceNumber() const { return static_cast<uint16_t>(highestOut_); }
  uint32_t LastSentTimestamp() const { return highestOutTimestamp_; }

 private:
  struct Segment {
    uint32_t sourceId = 0;
    int64_t inFirst = 0;           // extended incoming seq of the segment's first packet
    int64_t inLatest = 0;          // reference for unwrapping this source's seqs
    int64_t seqOffset = 0;         // extended outgoing = extended incoming + seqOffset
    uint32_t timestampOffset = 0;  // outgoing = incoming + offset (mod 2^32)
    int64_t outEnd = 0;            // exclusive end of the segment's outgoing range once closed
    bool closed = false;
  };

  const Segment* FindSegmentForOutgoing(int64_t outExtended) const;
  const Segment& SegmentFromNewest(size_t age) const;  // age < StoredSegments()
  size_t StoredSegments() const;

  uint16_t initialSequenceNumber_ = 0;
  uint32_t initialTimestamp_ = 0;

  bool pendingSwitch_ = false;
  uint32_t pendingSourceId_ = 0;
  uint32_t pendingTimestampDelta_ = 0;

  std::array<Segment, kSegmentHistory> segments_{};
  size_t segmentCount_ = 0;  // total ever started; newest is (segmentCount_ - 1) % size

  bool hasSent_ = false;
  int64_t highestOut_ = 0;  // extended outgoing seq of the newest packet sent
  uint32_t highestOutTimestamp_ = 0;
};

}  // namespace myriad::rtp
