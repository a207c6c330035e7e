#include "rtp/RtxPacket.h"

#include <cstring>

#include "rtp/BigEndian.h"

namespace myriad::rtp {

std::optional<uint16_t> RtxOriginalSequenceNumber(const RtpPacket& rtx) {
  const std::span<uint8_t> payload = rtx.Payload();
  if (payload.size() < kRtxOsnSize) return std::nullopt;
  return ReadBigEndian16(payload.data());
}

std::optional<RtpPacket> RtxToOriginalInPlace(RtpPacket rtx, uint8_t originalPayloadType,
                                              uint32_t originalSsrc) {
  const std::optional<uint16_t> osn = RtxOriginalSequenceNumber(rtx);
  if (!osn) return std::nullopt;
  const std::span<uint8_t> data = rtx.Data();
  const size_t payloadStart = rtx.HeaderSize();
  // Payload and padding move together so the padding count byte stays last.
  std::memmove(&data[payloadStart], &data[payloadStart + kRtxOsnSize],
               data.size() - payloadStart - kRtxOsnSize);
  std::optional<RtpPacket> original = RtpPacket::Parse(data.first(data.size() - kRtxOsnSize));
  if (!original) return std::nullopt;  // unreachable: only the payload length changed
  original->SetSequenceNumber(*osn);
  original->SetPayloadType(originalPayloadType);
  original->SetSsrc(originalSsrc);
  return original;
}

std::optional<RtpPacket> OriginalToRtx(const RtpPacket& original, std::span<uint8_t> destination,
                                       uint8_t rtxPayloadType, uint32_t rtxSsrc,
                                       uint16_t rtxSequenceNumber) {
  const size_t headerSize = original.HeaderSize();
  const size_t payloadSize = original.PayloadSize();
  const size_t rtxSize = headerSize + kRtxOsnSize + payloadSize;
  if (destination.size() < rtxSize) return std::nullopt;
  const uint8_t* src = original.Data().data();
  uint8_t* dst = destination.data();
  const uint16_t osn = original.SequenceNumber();
  // Payload first: when wrapping in place it moves up and must not be overwritten by the OSN.
  std::memmove(dst + headerSize + kRtxOsnSize, src + headerSize, payloadSize);
  std::memmove(dst, src, headerSize);
  WriteBigEndian16(dst + headerSize, osn);
  dst[0] &= static_cast<uint8_t>(~0x20);  // no RTP padding in the RTX packet
  std::optional<RtpPacket> rtx = RtpPacket::Parse(destination.first(rtxSize));
  if (!rtx) return std::nullopt;
  rtx->SetPayloadType(rtxPayloadType);
  rtx->SetSsrc(rtxSsrc);
  rtx->SetSequenceNumber(rtxSequenceNumber);
  return rtx;
}

}  // namespace myriad::rtp
