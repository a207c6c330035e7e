#include "rtp/DataChannelOpen.h"

#include <cstring>
#include <limits>

#include "rtp/BigEndian.h"

namespace myriad::rtp {

namespace {
constexpr size_t kMaxStringLength = std::numeric_limits<uint16_t>::max();

bool IsKnownReliability(uint8_t value) {
  return value == static_cast<uint8_t>(DataChannelOpen::Reliability::kReliable) ||
         value == static_cast<uint8_t>(DataChannelOpen::Reliability::kPartialReliableRexmit) ||
         value == static_cast<uint8_t>(DataChannelOpen::Reliability::kPartialReliableTimed);
}
}  // namespace

std::optional<DataChannelOpen> DataChannelOpen::Parse(std::span<const uint8_t> message) {
  if (message.size() < kFixedSize || message[0] != kMessageType) return std::nullopt;
  // RFC 8832 8.2.2 registers six channel types; anything else is a channel we cannot honour.
  if (!IsKnownReliability(static_cast<uint8_t>(message[1] & ~kUnorderedBit))) return std::nullopt;
  const size_t labelLength = ReadBigEndian16(&message[8]);
  const size_t protocolLength = ReadBigEndian16(&message[10]);
  // Both lengths fit 16 bits, so the sum cannot overflow.
  if (message.size() != kFixedSize + labelLength + protocolLength) return std::nullopt;
  return DataChannelOpen(message);
}

size_t DataChannelOpen::SerializedSize(const Fields& fields) {
  if (fields.label.size() > kMaxStringLength || fields.protocol.size() > kMaxStringLength ||
      !IsKnownReliability(static_cast<uint8_t>(fields.reliability))) {
    return 0;
  }
  return kFixedSize + fields.label.size() + fields.protocol.size();
}

size_t DataChannelOpen::Serialize(const Fields& fields, std::span<uint8_t> out) {
  const size_t size = SerializedSize(fields);
  if (size == 0 || out.size() < size) return 0;
  uint8_t* p = out.data();
  p[0] = kMessageType;
  p[1] = static_cast<uint8_t>(static_cast<uint8_t>(fields.reliability) |
                              (fields.ordered ? 0 : kUnorderedBit));
  WriteBigEndian16(p + 2, fields.priority);
  const bool reliable = fields.reliability == Reliability::kReliable;
  WriteBigEndian32(p + 4, reliable ? 0 : fields.reliabilityParameter);
  WriteBigEndian16(p + 8, static_cast<uint16_t>(fields.label.size()));
  WriteBigEndian16(p + 10, static_cast<uint16_t>(fields.protocol.size()));
  // memcpy with a null source is undefined even for 0 bytes, and an empty string_view may be
  // null.
  if (!fields.label.empty()) std::memcpy(p + kFixedSize, fields.label.data(), fields.label.size());
  if (!fields.protocol.empty()) {
    std::memcpy(p + kFixedSize + fields.label.size(), fields.protocol.data(),
                fields.protocol.size());
  }
  return size;
}

uint16_t DataChannelOpen::Priority() const { return ReadBigEndian16(&message_[2]); }

uint32_t DataChannelOpen::ReliabilityParameter() const { return ReadBigEndian32(&message_[4]); }

size_t DataChannelOpen::LabelLength() const { return ReadBigEndian16(&message_[8]); }

std::string_view DataChannelOpen::Label() const {
  return {reinterpret_cast<const char*>(message_.data() + kFixedSize), LabelLength()};
}

std::string_view DataChannelOpen::Protocol() const {
  const size_t offset = kFixedSize + LabelLength();
  return {reinterpret_cast<const char*>(message_.data() + offset), message_.size() - offset};
}

DataChannelOpen::Fields DataChannelOpen::ToFields() const {
  return Fields{GetReliability(),       Ordered(), Priority(),
                ReliabilityParameter(), Label(),   Protocol()};
}

}  // namespace myriad::rtp
