#pragma once

// Transport-wide congestion control feedback, RTPFB (PT=205) FMT=15
// (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1):
//
//   |                     SSRC of packet sender                     |
//   |                      SSRC of media source                     |
//   |      base sequence number     |      packet status count      |
//   |                 reference time                | fb pkt. count |
//   |          packet chunk         |         packet chunk          |  ...
//   |         recv delta            |  recv delta   | zero padding  |  ...
//
// Packet chunks (3.1.3, 3.1.4) give one status symbol per transport seq from the base:
// 00 not received, 01 received with a 1-byte unsigned delta, 10 received with a 2-byte signed
// delta, 11 reserved. Deltas are in 250 us ticks, each relative to the previous received packet
// and the first relative to the reference time (signed 24 bits, 64 ms units).
//
// This class is the read side (a view); TransportCcFeedbackBuilder writes them.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>

#include "rtp/RtcpFeedbackHeader.h"

namespace myriad::rtp {

class TransportCcFeedback {
 public:
  static constexpr int64_t kDeltaTickUs = 250;
  static constexpr int64_t kReferenceTimeTickUs = 64'000;
  static constexpr size_t kFixedFciSize = 8;
  // Status symbols (3.1.1).
  static constexpr uint8_t kNotReceived = 0;
  static constexpr uint8_t kReceivedSmallDelta = 1;
  static constexpr uint8_t kReceivedLargeDelta = 2;

  struct PacketStatus {
    uint16_t sequenceNumber = 0;
    bool received = false;
    int32_t deltaTicks = 0;     // 250 us units; 0 when not received
    int64_t arrivalTimeUs = 0;  // reference time + all deltas so far; 0 when not received
  };

  // Walks the statuses in sequence order. Only valid over a packet accepted by Parse.
  class PacketIterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = PacketStatus;
    using difference_type = std::ptrdiff_t;
    using pointer = const PacketStatus*;
    using reference = const PacketStatus&;

    PacketIterator() = default;
    const PacketStatus& operator*() const { return current_; }
    const PacketStatus* operator->() const { return &current_; }
    PacketIterator& operator++();
    PacketIterator operator++(int) {
      PacketIterator copy = *this;
      ++*this;
      return copy;
    }
    friend bool operator==(const PacketIterator& a, const PacketIterator& b) {
      return a.statusIndex_ == b.statusIndex_;
    }

   private:
    friend class TransportCcFeedback;
    PacketIterator(const TransportCcFeedback& feedback, uint32_t statusIndex);
    void Decode();  // fills current_ for statusIndex_ and consumes its delta

    const uint8_t* fci_ = nullptr;
    size_t chunkPos_ = 0;
    size_t indexInChunk_ = 0;
    size_t deltaPos_ = 0;
    uint32_t statusIndex_ = 0;
    uint32_t statusCount_ = 0;
    uint16_t baseSequenceNumber_ = 0;
    int64_t arrivalTicks_ = 0;  // relative to the reference time
    int64_t referenceTimeUs_ = 0;
    PacketStatus current_;
  };

  // nullopt unless PT=205, FMT=15, the status count is non-zero, every chunk and delta lies in
  // the FCI and no used symbol is the reserved 11. Trailing bytes (zero padding) are allowed.
  static std::optional<TransportCcFeedback> Parse(std::span<uint8_t> buffer);

  uint32_t SenderSsrc() const { return feedback_.SenderSsrc(); }
  uint32_t MediaSsrc() const { return feedback_.MediaSsrc(); }
  void SetSenderSsrc(uint32_t ssrc) { feedback_.SetSenderSsrc(ssrc); }
  void SetMediaSsrc(uint32_t ssrc) { feedback_.SetMediaSsrc(ssrc); }

  uint16_t BaseSequenceNumber() const;
  uint16_t PacketStatusCount() const;
  int32_t ReferenceTime() const;  // signed 24-bit, 64 ms units
  int64_t ReferenceTimeUs() const { return int64_t{ReferenceTime()} * kReferenceTimeTickUs; }
  uint8_t FeedbackPacketCount() const;
  size_t ReceivedCount() const { return receivedCount_; }

  PacketIterator begin() const { return PacketIterator(*this, 0); }
  PacketIterator end() const { return PacketIterator(*this, PacketStatusCount()); }
  const RtcpHeader& Header() const { return feedback_.Header(); }

 private:
  TransportCcFeedback(RtcpFeedbackHeader feedback, size_t deltasOffset, size_t receivedCount)
      : feedback_(feedback), deltasOffset_(deltasOffset), receivedCount_(receivedCount) {}

  RtcpFeedbackHeader feedback_;
  size_t deltasOffset_ = 0;  // FCI offset of the first recv delta
  size_t receivedCount_ = 0;
};

}  // namespace myriad::rtp
