#include "rtp/RtpPacketBuilder.h"

#include <cstring>

#include "rtp/BigEndian.h"
#include "rtp/RtpPacket.h"

namespace myriad::rtp {

RtpPacketBuilder& RtpPacketBuilder::SetPayloadType(uint8_t payloadType) {
  if (payloadType > 0x7F) invalid_ = true;
  payloadType_ = payloadType & 0x7F;
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::SetMarker(bool marker) {
  marker_ = marker;
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::SetSequenceNumber(uint16_t seq) {
  sequenceNumber_ = seq;
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::SetTimestamp(uint32_t timestamp) {
  timestamp_ = timestamp;
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::SetSsrc(uint32_t ssrc) {
  ssrc_ = ssrc;
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::AddCsrc(uint32_t csrc) {
  if (csrcCount_ == kMaxCsrcs) {
    invalid_ = true;  // CC is a 4-bit field
  } else {
    csrcs_[csrcCount_++] = csrc;
  }
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::AddExtension(uint8_t id, std::span<const uint8_t> value) {
  // Id 0 is padding in both forms and a two-byte element carries at most 255 bytes.
  if (id == 0 || value.size() > 255 || extensionCount_ == kMaxExtensions) {
    invalid_ = true;
  } else {
    extensions_[extensionCount_++] = Extension{id, value};
  }
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::SetPayload(std::span<const uint8_t> payload) {
  payload_ = payload;
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::SetPaddingSize(uint8_t paddingSize) {
  paddingSize_ = paddingSize;
  return *this;
}

bool RtpPacketBuilder::UsesOneByteForm() const {
  for (size_t i = 0; i < extensionCount_; ++i) {
    const Extension& e = extensions_[i];
    if (e.id > RtpPacket::kMaxOneByteExtensionId || e.value.empty() || e.value.size() > 16) {
      return false;
    }
  }
  return true;
}

size_t RtpPacketBuilder::ExtensionBlockSize(bool oneByte) const {
  size_t size = 0;
  for (size_t i = 0; i < extensionCount_; ++i) {
    size += (oneByte ? 1 : 2) + extensions_[i].value.size();
  }
  return (size + 3) / 4 * 4;
}

std::span<uint8_t> RtpPacketBuilder::Build() {
  if (invalid_) return {};
  const bool oneByte = UsesOneByteForm();
  const size_t extensionBlock = extensionCount_ ? ExtensionBlockSize(oneByte) : 0;
  // The RFC 3550 5.3.1 length field counts 32-bit words in 16 bits.
  if (extensionBlock / 4 > 0xFFFF) return {};
  const size_t headerSize =
      RtpPacket::kFixedHeaderSize + 4 * csrcCount_ + (extensionCount_ ? 4 + extensionBlock : 0);
  const size_t total = headerSize + payload_.size() + paddingSize_;
  if (total > buffer_.size()) return {};

  uint8_t* out = buffer_.data();
  out[0] = static_cast<uint8_t>((RtpPacket::kVersion << 6) | (paddingSize_ ? 0x20 : 0) |
                                (extensionCount_ ? 0x10 : 0) | csrcCount_);
  out[1] = static_cast<uint8_t>((marker_ ? 0x80 : 0) | payloadType_);
  WriteBigEndian16(out + 2, sequenceNumber_);
  WriteBigEndian32(out + 4, timestamp_);
  WriteBigEndian32(out + 8, ssrc_);
  size_t pos = RtpPacket::kFixedHeaderSize;
  for (size_t i = 0; i < csrcCount_; ++i, pos += 4) WriteBigEndian32(out + pos, csrcs_[i]);

  if (extensionCount_) {
    WriteBigEndian16(out + pos, oneByte ? RtpPacket::kOneByteExtensionProfile
                                        : RtpPacket::kTwoByteExtensionProfile);
    WriteBigEndian16(out + pos + 2, static_cast<uint16_t>(extensionBlock / 4));
    pos += 4;
    const size_t blockEnd = pos + extensionBlock;
    for (size_t i = 0; i < extensionCount_; ++i) {
      const Extension& e = extensions_[i];
      if (oneByte) {
        out[pos++] = static_cast<uint8_t>((e.id << 4) | (e.value.size() - 1));
      } else {
        out[pos++] = e.id;
        out[pos++] = static_cast<uint8_t>(e.value.size());
      }
      if (!e.value.empty()) std::memcpy(out + pos, e.value.data(), e.value.size());
      pos += e.value.size();
    }
    std::memset(out + pos, 0, blockEnd - pos);  // padding bytes, RFC 8285 4.1
    pos = blockEnd;
  }

  if (!payload_.empty()) std::memcpy(out + pos, payload_.data(), payload_.size());
  pos += payload_.size();
  if (paddingSize_) {
    // RFC 3550 5.1: padding octets, the last of which holds the count.
    std::memset(out + pos, 0, paddingSize_ - 1u);
    out[pos + paddingSize_ - 1] = paddingSize_;
    pos += paddingSize_;
  }
  return buffer_.first(pos);
}

}  // namespace myriad::rtp
