#include "rtp/RtcpHeader.h"

#include "rtp/BigEndian.h"

namespace myriad::rtp {

std::optional<RtcpHeader> RtcpHeader::Parse(std::span<uint8_t> buffer) {
  if (buffer.size() < kSize) return std::nullopt;
  if ((buffer[0] >> 6) != kVersion) return std::nullopt;
  const size_t packetSize = (size_t{ReadBigEndian16(&buffer[2])} + 1) * 4;
  if (packetSize > buffer.size()) return std::nullopt;
  const std::span<uint8_t> packet = buffer.first(packetSize);
  size_t paddingSize = 0;
  if (packet[0] & 0x20) {
    // RFC 3550 6.4.1: the last octet counts the padding octets, itself included.
    paddingSize = packet.back();
    if (paddingSize == 0 || paddingSize > packetSize - kSize) return std::nullopt;
  }
  return RtcpHeader(packet, paddingSize);
}

std::optional<RtcpHeader> RtcpHeader::ParseTyped(std::span<uint8_t> buffer, uint8_t packetType,
                                                 std::optional<uint8_t> countOrFormat) {
  std::optional<RtcpHeader> header = Parse(buffer);
  if (!header || header->PacketType() != packetType) return std::nullopt;
  if (countOrFormat && header->CountOrFormat() != *countOrFormat) return std::nullopt;
  return header;
}

uint16_t RtcpHeader::LengthField() const { return ReadBigEndian16(&packet_[2]); }

std::span<uint8_t> RtcpHeader::Body() const {
  return packet_.subspan(kSize, packet_.size() - kSize - paddingSize_);
}

size_t RtcpHeader::Write(std::span<uint8_t> out, uint8_t countOrFormat, uint8_t packetType,
                         size_t packetSize) {
  if (out.size() < kSize || countOrFormat > kMaxCount || packetSize < kSize ||
      packetSize % 4 != 0 || packetSize / 4 - 1 > 0xFFFF) {
    return 0;
  }
  out[0] = static_cast<uint8_t>((kVersion << 6) | countOrFormat);
  out[1] = packetType;
  WriteBigEndian16(&out[2], static_cast<uint16_t>(packetSize / 4 - 1));
  return kSize;
}

}  // namespace myriad::rtp
