#pragma once

// Generic NACK, RTPFB (PT=205) FMT=1 (RFC 4585 section 6.2.1). The FCI is one or more items:
//
//   |            PID                |             BLP               |
//
// PID is a lost sequence number; bit i (LSB = bit 0) of BLP reports PID + i + 1 lost too.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/RtcpFeedbackHeader.h"

namespace myriad::rtp {

class GenericNack {
 public:
  static constexpr size_t kItemSize = 4;

  struct Item {
    uint16_t packetId = 0;
    uint16_t lostBitmask = 0;
    friend bool operator==(const Item&, const Item&) = default;
  };
  struct Fields {
    uint32_t senderSsrc = 0;
    uint32_t mediaSsrc = 0;
    // Lost seqs, ideally ascending in wrap order: each run of seqs within PID+1..PID+16 of
    // the preceding item's PID shares that item. Any order is encoded correctly.
    std::span<const uint16_t> lostSequenceNumbers;
  };

  // nullopt unless PT=205, FMT=1 and the FCI is a non-empty whole number of items.
  static std::optional<GenericNack> Parse(std::span<uint8_t> buffer);
  static size_t ItemCountFor(std::span<const uint16_t> lostSequenceNumbers);
  static size_t SerializedSize(const Fields& fields);  // 0 if there is nothing to report
  static size_t Serialize(const Fields& fields, std::span<uint8_t> out);  // bytes or 0

  uint32_t SenderSsrc() const { return feedback_.SenderSsrc(); }
  uint32_t MediaSsrc() const { return feedback_.MediaSsrc(); }
  void SetSenderSsrc(uint32_t ssrc) { feedback_.SetSenderSsrc(ssrc); }
  void SetMediaSsrc(uint32_t ssrc) { feedback_.SetMediaSsrc(ssrc); }

  size_t ItemCount() const { return feedback_.Fci().size() / kItemSize; }
  Item ItemAt(size_t index) const;  // index < ItemCount()

  // Calls visit(seq) for every sequence number reported lost, item by item, PID first.
  template <typename Visitor>
  void ForEachLostSequenceNumber(Visitor&& visit) const {
    for (size_t i = 0; i < ItemCount(); ++i) {
      const Item item = ItemAt(i);
      visit(item.packetId);
      for (unsigned bit = 0; bit < 16; ++bit) {
        if (item.lostBitmask & (1u << bit)) visit(static_cast<uint16_t>(item.packetId + bit + 1));
      }
    }
  }

  const RtcpHeader& Header() const { return feedback_.Header(); }

 private:
  explicit GenericNack(RtcpFeedbackHeader feedback) : feedback_(feedback) {}
  // Packs seqs into items; calls emit(item) for each. Returns the number of items.
  template <typename Emit>
  static size_t Pack(std::span<const uint16_t> lostSequenceNumbers, Emit&& emit);

  RtcpFeedbackHeader feedback_;
};

}  // namespace myriad::rtp
