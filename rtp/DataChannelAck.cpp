#include "rtp/DataChannelAck.h"

namespace myriad::rtp {

std::optional<DataChannelAck> DataChannelAck::Parse(std::span<const uint8_t> message) {
  // RFC 8832 5.2 defines no field after the type, so anything more is not this message.
  if (message.size() != kSize || message[0] != kMessageType) return std::nullopt;
  return DataChannelAck(message);
}

size_t DataChannelAck::Serialize(std::span<uint8_t> out) {
  if (out.size() < kSize) return 0;
  out[0] = kMessageType;
  return kSize;
}

}  // namespace myriad::rtp
