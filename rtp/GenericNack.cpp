#include "rtp/GenericNack.h"

#include "rtp/BigEndian.h"

namespace myriad::rtp {

std::optional<GenericNack> GenericNack::Parse(std::span<uint8_t> buffer) {
  std::optional<RtcpFeedbackHeader> feedback = RtcpFeedbackHeader::Parse(
      buffer, RtcpHeader::kTransportFeedback, RtcpHeader::kFmtGenericNack);
  if (!feedback) return std::nullopt;
  // RFC 4585 6.2.1: "The FCI field MUST contain at least one and MAY contain more than one
  // Generic NACK."
  const size_t fci = feedback->Fci().size();
  if (fci == 0 || fci % kItemSize != 0) return std::nullopt;
  return GenericNack(*feedback);
}

template <typename Emit>
size_t GenericNack::Pack(std::span<const uint16_t> lostSequenceNumbers, Emit&& emit) {
  size_t count = 0;
  Item current;
  bool open = false;
  for (uint16_t seq : lostSequenceNumbers) {
    const uint16_t offset = static_cast<uint16_t>(seq - current.packetId);
    if (open && offset == 0) continue;  // duplicate of the PID
    if (open && offset <= 16) {
      current.lostBitmask |= static_cast<uint16_t>(1u << (offset - 1));
      continue;
    }
    if (open) emit(current);
    current = Item{seq, 0};
    open = true;
    ++count;
  }
  if (open) emit(current);
  return count;
}

size_t GenericNack::ItemCountFor(std::span<const uint16_t> lostSequenceNumbers) {
  return Pack(lostSequenceNumbers, [](const Item&) {});
}

size_t GenericNack::SerializedSize(const Fields& fields) {
  const size_t items = ItemCountFor(fields.lostSequenceNumbers);
  return items == 0 ? 0 : RtcpFeedbackHeader::kSize + items * kItemSize;
}

size_t GenericNack::Serialize(const Fields& fields, std::span<uint8_t> out) {
  const size_t size = SerializedSize(fields);
  if (size == 0 || out.size() < size) return 0;
  if (RtcpFeedbackHeader::Write(out, RtcpHeader::kTransportFeedback, RtcpHeader::kFmtGenericNack,
                                size, fields.senderSsrc, fields.mediaSsrc) == 0) {
    return 0;
  }
  uint8_t* p = out.data() + RtcpFeedbackHeader::kSize;
  Pack(fields.lostSequenceNumbers, [&p](const Item& item) {
    WriteBigEndian16(p, item.packetId);
    WriteBigEndian16(p + 2, item.lostBitmask);
    p += kItemSize;
  });
  return size;
}

GenericNack::Item GenericNack::ItemAt(size_t index) const {
  const uint8_t* p = &feedback_.Fci()[index * kItemSize];
  return Item{ReadBigEndian16(p), ReadBigEndian16(p + 2)};
}

}  // namespace myriad::rtp
