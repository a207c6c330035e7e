#include "rtp/Rpsi.h"

#include <cstring>

#include "rtp/BigEndian.h"

namespace myriad::rtp {

namespace {
constexpr size_t kFciHeaderSize = 2;  // PB, then the 0 bit and the payload type

size_t BytesForBits(size_t bits) { return (bits + 7) / 8; }

bool IsLtrKind(uint8_t kind) {
  return kind == static_cast<uint8_t>(Rpsi::LtrKind::kAcknowledged) ||
         kind == static_cast<uint8_t>(Rpsi::LtrKind::kRecoverFrom);
}
}  // namespace

std::optional<Rpsi> Rpsi::Parse(std::span<uint8_t> buffer) {
  std::optional<RtcpFeedbackHeader> feedback =
      RtcpFeedbackHeader::Parse(buffer, RtcpHeader::kPayloadFeedback, RtcpHeader::kFmtRpsi);
  if (!feedback) return std::nullopt;
  const std::span<uint8_t> fci = feedback->Fci();
  if (fci.size() <= kFciHeaderSize) return std::nullopt;
  // RFC 4585 6.3.3.2: PB padding bits end the FCI; an RPSI without a bit string names no picture.
  if (size_t{fci[0]} >= 8 * (fci.size() - kFciHeaderSize)) return std::nullopt;
  return Rpsi(*feedback);
}

size_t Rpsi::SerializedSize(const Fields& fields) {
  if (fields.payloadType > kMaxPayloadType || fields.nativeBitLength == 0 ||
      fields.nativeBitLength > 8 * fields.nativeBitString.size()) {
    return 0;
  }
  // The FCI is padded to a 32-bit boundary (6.3.3.2).
  const size_t fciSize = (kFciHeaderSize + BytesForBits(fields.nativeBitLength) + 3) / 4 * 4;
  return RtcpFeedbackHeader::kSize + fciSize;
}

size_t Rpsi::Serialize(const Fields& fields, std::span<uint8_t> out) {
  const size_t size = SerializedSize(fields);
  if (size == 0 || out.size() < size) return 0;
  if (RtcpFeedbackHeader::Write(out, RtcpHeader::kPayloadFeedback, RtcpHeader::kFmtRpsi, size,
                                fields.senderSsrc, fields.mediaSsrc) == 0) {
    return 0;
  }
  uint8_t* fci = out.data() + RtcpFeedbackHeader::kSize;
  const size_t fciSize = size - RtcpFeedbackHeader::kSize;
  const size_t bits = fields.nativeBitLength;
  const size_t bytes = BytesForBits(bits);
  // Less than 32 by construction: the FCI is the smallest multiple of 4 bytes that fits.
  fci[0] = static_cast<uint8_t>(8 * (fciSize - kFciHeaderSize) - bits);
  fci[1] = fields.payloadType;  // the 0 bit stays 0
  std::memcpy(fci + kFciHeaderSize, fields.nativeBitString.data(), bytes);
  // Padding bits are zero (6.3.3.2), including those sharing the bit string's last byte.
  if (bits % 8 != 0) {
    fci[kFciHeaderSize + bytes - 1] &= static_cast<uint8_t>(0xFF << (8 - bits % 8));
  }
  std::memset(fci + kFciHeaderSize + bytes, 0, fciSize - kFciHeaderSize - bytes);
  return size;
}

std::optional<Rpsi::LtrMessage> Rpsi::ParseLtr(std::span<uint8_t> buffer) {
  const std::optional<Rpsi> rpsi = Parse(buffer);
  if (!rpsi) return std::nullopt;
  return rpsi->ToLtr();
}

std::optional<Rpsi::LtrMessage> Rpsi::ToLtr() const {
  if (NativeBitLength() != kLtrBitLength) return std::nullopt;
  const std::span<const uint8_t> bits = NativeBitString();
  if (!IsLtrKind(bits[0])) return std::nullopt;
  // bits[1] is reserved: ignored on receive so that it can be given a meaning later.
  return LtrMessage{SenderSsrc(), MediaSsrc(), PayloadType(), static_cast<LtrKind>(bits[0]),
                    ReadBigEndian16(&bits[2])};
}

size_t Rpsi::SerializeLtr(const LtrMessage& message, std::span<uint8_t> out) {
  if (!IsLtrKind(static_cast<uint8_t>(message.kind))) return 0;
  uint8_t bits[kLtrBitLength / 8] = {static_cast<uint8_t>(message.kind), 0, 0, 0};
  WriteBigEndian16(&bits[2], message.frameId);
  return Serialize(
      Fields{message.senderSsrc, message.mediaSsrc, message.payloadType, bits, kLtrBitLength}, out);
}

size_t Rpsi::NativeBitLength() const {
  const std::span<uint8_t> fci = feedback_.Fci();
  return 8 * (fci.size() - kFciHeaderSize) - fci[0];
}

std::span<const uint8_t> Rpsi::NativeBitString() const {
  return feedback_.Fci().subspan(kFciHeaderSize, BytesForBits(NativeBitLength()));
}

}  // namespace myriad::rtp
