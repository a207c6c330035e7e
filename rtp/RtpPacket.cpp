#include "rtp/RtpPacket.h"

#include <cstring>

#include "rtp/BigEndian.h"

namespace myriad::rtp {

std::optional<RtpPacket> RtpPacket::Parse(std::span<uint8_t> buffer) {
  // RFC 3550 5.1: fixed header.
  if (buffer.size() < kFixedHeaderSize) return std::nullopt;
  const uint8_t first = buffer[0];
  if ((first >> 6) != kVersion) return std::nullopt;
  const bool padding = (first & 0x20) != 0;
  const bool extension = (first & 0x10) != 0;
  const size_t csrcCount = first & 0x0F;

  size_t headerSize = kFixedHeaderSize + 4 * csrcCount;
  if (headerSize > buffer.size()) return std::nullopt;

  // RFC 3550 5.3.1: 16-bit profile word, 16-bit length in 32-bit words, then data.
  size_t extensionOffset = 0;
  size_t extensionSize = 0;
  uint16_t extensionProfile = 0;
  if (extension) {
    if (headerSize + 4 > buffer.size()) return std::nullopt;
    extensionProfile = ReadBigEndian16(&buffer[headerSize]);
    extensionSize = size_t{ReadBigEndian16(&buffer[headerSize + 2])} * 4;
    extensionOffset = headerSize + 4;
    if (extensionOffset + extensionSize > buffer.size()) return std::nullopt;
    headerSize = extensionOffset + extensionSize;
  }

  // RFC 3550 5.1: the last padding octet counts the padding, itself included, so 0 is invalid.
  size_t paddingSize = 0;
  if (padding) {
    if (buffer.size() == headerSize) return std::nullopt;
    paddingSize = buffer.back();
    if (paddingSize == 0 || paddingSize > buffer.size() - headerSize) return std::nullopt;
  }
  return RtpPacket(buffer, headerSize, paddingSize, extensionOffset, extensionSize,
                   extensionProfile);
}

uint32_t RtpPacket::Csrc(size_t index) const {
  return ReadBigEndian32(&data_[kFixedHeaderSize + 4 * index]);
}
uint16_t RtpPacket::SequenceNumber() const { return ReadBigEndian16(&data_[2]); }
uint32_t RtpPacket::Timestamp() const { return ReadBigEndian32(&data_[4]); }
uint32_t RtpPacket::Ssrc() const { return ReadBigEndian32(&data_[8]); }

void RtpPacket::SetMarker(bool marker) {
  data_[1] = static_cast<uint8_t>((data_[1] & 0x7F) | (marker ? 0x80 : 0));
}
void RtpPacket::SetPayloadType(uint8_t payloadType) {
  data_[1] = static_cast<uint8_t>((data_[1] & 0x80) | (payloadType & 0x7F));
}
void RtpPacket::SetSequenceNumber(uint16_t seq) { WriteBigEndian16(&data_[2], seq); }
void RtpPacket::SetTimestamp(uint32_t timestamp) { WriteBigEndian32(&data_[4], timestamp); }
void RtpPacket::SetSsrc(uint32_t ssrc) { WriteBigEndian32(&data_[8], ssrc); }
void RtpPacket::SetCsrc(size_t index, uint32_t csrc) {
  WriteBigEndian32(&data_[kFixedHeaderSize + 4 * index], csrc);
}

std::span<uint8_t> RtpPacket::ExtensionData() const {
  return data_.subspan(extensionOffset_, extensionSize_);
}

bool RtpPacket::HasOneByteExtensions() const {
  return HasExtension() && extensionProfile_ == kOneByteExtensionProfile;
}

bool RtpPacket::HasTwoByteExtensions() const {
  return HasExtension() &&
         (extensionProfile_ & kTwoByteExtensionProfileMask) == kTwoByteExtensionProfile;
}

std::optional<std::span<uint8_t>> RtpPacket::FindExtension(uint8_t id) const {
  std::optional<std::span<uint8_t>> found;
  if (id == 0) return found;
  WalkExtensions([&](uint8_t elementId, size_t, size_t valueStart, size_t valueSize) {
    if (elementId != id) return true;
    found = data_.subspan(valueStart, valueSize);
    return false;
  });
  return found;
}

std::span<uint8_t> RtpPacket::GetExtension(uint8_t id) const {
  return FindExtension(id).value_or(std::span<uint8_t>());
}

void RtpPacket::RemapExtensionIds(const ExtensionIdMap& map) {
  const bool oneByte = HasOneByteExtensions();
  WalkExtensions([&](uint8_t id, size_t elementStart, size_t valueStart, size_t valueSize) {
    const uint8_t newId = map[id];
    const size_t elementEnd = valueStart + valueSize;
    if (newId == 0 || (oneByte && newId > kMaxOneByteExtensionId)) {
      // The walker has already computed where the next element starts, so zeroing this one
      // (turning it into padding) does not disturb the rest of the walk.
      std::memset(&data_[elementStart], 0, elementEnd - elementStart);
    } else if (oneByte) {
      data_[elementStart] = static_cast<uint8_t>((newId << 4) | (data_[elementStart] & 0x0F));
    } else {
      data_[elementStart] = newId;
    }
    return true;
  });
}

}  // namespace myriad::rtp
