#include "rtp/TmmbrEntry.h"

#include <algorithm>
#include <limits>

#include "rtp/BigEndian.h"
#include "rtp/RtcpFeedbackHeader.h"

namespace myriad::rtp {

TmmbrEntry::EncodedBitrate TmmbrEntry::EncodeBitrate(uint64_t bitrateBps) {
  uint8_t exponent = 0;
  while ((bitrateBps >> exponent) > kMaxMantissa) ++exponent;  // ends by 47 for 64-bit input
  return EncodedBitrate{exponent, static_cast<uint32_t>(bitrateBps >> exponent)};
}

uint64_t TmmbrEntry::DecodeBitrate(uint8_t exponent, uint32_t mantissa) {
  const uint64_t value = mantissa;
  if (value == 0) return 0;
  // Shifting past 64 bits is undefined; anything that large means "unlimited" anyway.
  if (exponent >= 64 || (value << exponent) >> exponent != value) {
    return std::numeric_limits<uint64_t>::max();
  }
  return value << exponent;
}

TmmbrEntry TmmbrEntry::FromBitrate(uint32_t ssrc, uint64_t bitrateBps, uint16_t overhead) {
  const EncodedBitrate encoded = EncodeBitrate(bitrateBps);
  return TmmbrEntry{ssrc, encoded.exponent, encoded.mantissa, std::min(overhead, kMaxOverhead)};
}

TmmbrEntry TmmbrEntry::Read(const uint8_t* p) {
  // Exponent in the top 6 bits, mantissa in the next 17, overhead in the low 9.
  const uint32_t word = ReadBigEndian32(p + 4);
  return TmmbrEntry{ReadBigEndian32(p), static_cast<uint8_t>(word >> 26),
                    (word >> 9) & kMaxMantissa, static_cast<uint16_t>(word & kMaxOverhead)};
}

void TmmbrEntry::Write(uint8_t* p) const {
  WriteBigEndian32(p, ssrc);
  WriteBigEndian32(p + 4, (uint32_t{exponent} << 26) | (mantissa << 9) | overhead);
}

size_t TmmbrEntry::SerializedPacketSize(std::span<const TmmbrEntry> entries) {
  for (const TmmbrEntry& entry : entries) {
    if (!entry.IsValid()) return 0;
  }
  return RtcpFeedbackHeader::kSize + entries.size() * kSize;
}

size_t TmmbrEntry::SerializePacket(uint8_t format, uint32_t senderSsrc, uint32_t mediaSsrc,
                                   std::span<const TmmbrEntry> entries, std::span<uint8_t> out) {
  const size_t size = SerializedPacketSize(entries);
  if (size == 0 || out.size() < size) return 0;
  if (RtcpFeedbackHeader::Write(out, RtcpHeader::kTransportFeedback, format, size, senderSsrc,
                                mediaSsrc) == 0) {
    return 0;
  }
  uint8_t* p = out.data() + RtcpFeedbackHeader::kSize;
  for (const TmmbrEntry& entry : entries) {
    entry.Write(p);
    p += kSize;
  }
  return size;
}

}  // namespace myriad::rtp
