#include "rtp/Remb.h"

#include <cstring>
#include <limits>

#include "rtp/BigEndian.h"

namespace myriad::rtp {

namespace {
constexpr uint8_t kIdentifier[4] = {'R', 'E', 'M', 'B'};
}  // namespace

std::optional<Remb> Remb::Parse(std::span<uint8_t> buffer) {
  std::optional<RtcpFeedbackHeader> feedback = RtcpFeedbackHeader::Parse(
      buffer, RtcpHeader::kPayloadFeedback, RtcpHeader::kFmtApplicationLayer);
  if (!feedback) return std::nullopt;
  const std::span<uint8_t> fci = feedback->Fci();
  if (fci.size() < 8 || std::memcmp(fci.data(), kIdentifier, 4) != 0) return std::nullopt;
  if (8 + 4 * size_t{fci[4]} > fci.size()) return std::nullopt;
  return Remb(*feedback);
}

Remb::Encoded Remb::EncodeBitrate(uint64_t bitrateBps) {
  uint8_t exponent = 0;
  while ((bitrateBps >> exponent) > kMaxMantissa) ++exponent;  // ends by 46 for 64-bit input
  return Encoded{exponent, static_cast<uint32_t>(bitrateBps >> exponent)};
}

size_t Remb::SerializedSize(const Fields& fields) {
  if (fields.ssrcs.size() > 255) return 0;
  return kFixedSize + 4 * fields.ssrcs.size();
}

size_t Remb::Serialize(const Fields& fields, std::span<uint8_t> out) {
  const size_t size = SerializedSize(fields);
  if (size == 0 || out.size() < size) return 0;
  // Media source SSRC is always 0 for REMB; the SSRC list says what the estimate covers.
  if (RtcpFeedbackHeader::Write(out, RtcpHeader::kPayloadFeedback, RtcpHeader::kFmtApplicationLayer,
                                size, fields.senderSsrc, 0) == 0) {
    return 0;
  }
  uint8_t* p = out.data() + RtcpFeedbackHeader::kSize;
  std::memcpy(p, kIdentifier, 4);
  const Encoded encoded = EncodeBitrate(fields.bitrateBps);
  p[4] = static_cast<uint8_t>(fields.ssrcs.size());
  WriteBigEndian24(p + 5, (uint32_t{encoded.exponent} << 18) | encoded.mantissa);
  p += 8;
  for (uint32_t ssrc : fields.ssrcs) {
    WriteBigEndian32(p, ssrc);
    p += 4;
  }
  return size;
}

uint8_t Remb::Exponent() const { return feedback_.Fci()[5] >> 2; }

uint32_t Remb::Mantissa() const { return ReadBigEndian24(&feedback_.Fci()[5]) & kMaxMantissa; }

uint64_t Remb::BitrateBps() const {
  const uint64_t mantissa = Mantissa();
  const uint8_t exponent = Exponent();
  if (mantissa == 0) return 0;
  // Shifting past 64 bits is undefined; anything that large is "unlimited" anyway.
  if (exponent >= 64 || (mantissa << exponent) >> exponent != mantissa) {
    return std::numeric_limits<uint64_t>::max();
  }
  return mantissa << exponent;
}

uint32_t Remb::SsrcAt(size_t index) const {
  return ReadBigEndian32(&feedback_.Fci()[8 + 4 * index]);
}

void Remb::SetSsrcAt(size_t index, uint32_t ssrc) {
  WriteBigEndian32(&feedback_.Fci()[8 + 4 * index], ssrc);
}

}  // namespace myriad::rtp
