#include "rtp/RtpStreamRewriter.h"

namespace myriad::rtp {

namespace {

// SplitMix64: a tiny, well-distributed generator; good enough to pick initial offsets and
// identical on every platform (unlike std::uniform_int_distribution).
uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

RtpStreamRewriter::RtpStreamRewriter(uint64_t seed) {
  uint64_t state = seed;
  initialSequenceNumber_ = static_cast<uint16_t>(SplitMix64(state));
  initialTimestamp_ = static_cast<uint32_t>(SplitMix64(state));
}

void RtpStreamRewriter::SwitchSource(uint32_t sourceId, uint32_t timestampDelta) {
  // Applied lazily on the next packet: the offsets depend on that packet's seq/timestamp.
  pendingSwitch_ = true;
  pendingSourceId_ = sourceId;
  pendingTimestampDelta_ = timestampDelta;
}

size_t RtpStreamRewriter::StoredSegments() const {
  return segmentCount_ < kSegmentHistory ? segmentCount_ : kSegmentHistory;
}

const RtpStreamRewriter::Segment& RtpStreamRewriter::SegmentFromNewest(size_t age) const {
  return segments_[(segmentCount_ - 1 - age) % kSegmentHistory];
}

std::optional<RtpStreamRewriter::Header> RtpStreamRewriter::Rewrite(uint16_t sequenceNumber,
                                                                    uint32_t timestamp) {
  if (pendingSwitch_) {
    pendingSwitch_ = false;
    if (segmentCount_ > 0) {
      Segment& previous = segments_[(segmentCount_ - 1) % kSegmentHistory];
      previous.closed = true;
      previous.outEnd = highestOut_ + 1;
    }
    Segment& segment = segments_[segmentCount_ % kSegmentHistory];
    ++segmentCount_;
    segment = Segment{};
    segment.sourceId = pendingSourceId_;
    // A fresh source: its extended seqs start at its raw value.
    segment.inFirst = sequenceNumber;
    segment.inLatest = sequenceNumber;
    const int64_t outFirst = hasSent_ ? highestOut_ + 1 : int64_t{initialSequenceNumber_};
    const uint32_t outTimestamp =
        hasSent_ ? highestOutTimestamp_ + pendingTimestampDelta_ : initialTimestamp_;
    segment.seqOffset = outFirst - segment.inFirst;
    segment.timestampOffset = outTimestamp - timestamp;
  }
  if (segmentCount_ == 0) return std::nullopt;  // no source selected yet

  Segment& segment = segments_[(segmentCount_ - 1) % kSegmentHistory];
  const int64_t inExtended = UnwrapNear<uint16_t>(sequenceNumber, segment.inLatest);
  if (inExtended < segment.inFirst) return std::nullopt;  // from before the switch point
  if (inExtended > segment.inLatest) segment.inLatest = inExtended;

  const int64_t outExtended = inExtended + segment.seqOffset;
  const Header header{static_cast<uint16_t>(outExtended), timestamp + segment.timestampOffset};
  if (!hasSent_ || outExtended > highestOut_) {
    hasSent_ = true;
    highestOut_ = outExtended;
    highestOutTimestamp_ = header.timestamp;
  }
  return header;
}

std::optional<RtpStreamRewriter::Header> RtpStreamRewriter::MapRetransmission(
    uint32_t sourceId, uint16_t sequenceNumber, uint32_t timestamp) const {
  if (!hasSent_) return std::nullopt;
  for (size_t age = 0; age < StoredSegments(); ++age) {
    const Segment& segment = SegmentFromNewest(age);
    if (segment.sourceId != sourceId) continue;
    const int64_t inExtended = UnwrapNear<uint16_t>(sequenceNumber, segment.inLatest);
    if (inExtended < segment.inFirst) continue;  // maybe an older segment of the same source
    const int64_t outExtended = inExtended + segment.seqOffset;
    const int64_t lastOut = segment.closed ? segment.outEnd - 1 : highestOut_;
    if (outExtended > lastOut) return std::nullopt;  // never part of the outgoing stream
    return Header{static_cast<uint16_t>(outExtended), timestamp + segment.timestampOffset};
  }
  return std::nullopt;
}

const RtpStreamRewriter::Segment* RtpStreamRewriter::FindSegmentForOutgoing(
    int64_t outExtended) const {
  // Segments tile the outgoing seq space in order, so the newest one starting at or before
  // the seq owns it.
  for (size_t age = 0; age < StoredSegments(); ++age) {
    const Segment& segment = SegmentFromNewest(age);
    if (segment.inFirst + segment.seqOffset <= outExtended) {
      if (segment.closed && outExtended >= segment.outEnd) return nullptr;
      return &segment;
    }
  }
  return nullptr;
}

std::optional<RtpStreamRewriter::IncomingPacket> RtpStreamRewriter::ToIncoming(
    uint16_t outgoingSequenceNumber) const {
  if (!hasSent_) return std::nullopt;
  const int64_t outExtended = UnwrapNear<uint16_t>(outgoingSequenceNumber, highestOut_);
  if (outExtended > highestOut_) return std::nullopt;
  const Segment* segment = FindSegmentForOutgoing(outExtended);
  if (!segment) return std::nullopt;
  return IncomingPacket{segment->sourceId, static_cast<uint16_t>(outExtended - segment->seqOffset)};
}

}  // namespace myriad::rtp
