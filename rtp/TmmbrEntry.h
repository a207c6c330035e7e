#pragma once

// One FCI entry of a Temporary Maximum Media Stream Bit Rate Request or Notification (RFC 5104
// sections 4.2.1.1 and 4.2.2.1 define the same layout for both):
//
//   |                              SSRC                             |
//   | MxTBR Exp |  MxTBR Mantissa                 |Measured Overhead|
//
// The maximum total media bit rate of the stream SSRC is mantissa (17 bits) * 2^exp (6 bits)
// bits per second; the measured overhead (9 bits) is the average per-packet header overhead in
// bytes the requester observed, so the media sender can turn a bit rate into a packet rate
// (4.2.1.2). A bound of 0 bps stops the stream; RFC 7728 (RTP stream pause) builds on that.

#include <cstddef>
#include <cstdint>
#include <span>

namespace myriad::rtp {

struct TmmbrEntry {
  static constexpr size_t kSize = 8;
  static constexpr uint8_t kMaxExponent = (1u << 6) - 1;
  static constexpr uint32_t kMaxMantissa = (1u << 17) - 1;
  static constexpr uint16_t kMaxOverhead = (1u << 9) - 1;

  uint32_t ssrc = 0;
  uint8_t exponent = 0;   // at most kMaxExponent
  uint32_t mantissa = 0;  // at most kMaxMantissa
  uint16_t overhead = 0;  // bytes per packet, at most kMaxOverhead

  friend bool operator==(const TmmbrEntry&, const TmmbrEntry&) = default;

  struct EncodedBitrate {
    uint8_t exponent = 0;
    uint32_t mantissa = 0;
    friend bool operator==(const EncodedBitrate&, const EncodedBitrate&) = default;
  };
  // Smallest exponent whose mantissa fits 17 bits, the mantissa truncated: the encoded bound is
  // never above `bitrateBps` and below it by less than 2^exponent (a relative error under 2^-16).
  static EncodedBitrate EncodeBitrate(uint64_t bitrateBps);
  // mantissa * 2^exponent, saturating at UINT64_MAX (only exponents above 46 can get there).
  static uint64_t DecodeBitrate(uint8_t exponent, uint32_t mantissa);

  // An entry capping `ssrc` at `bitrateBps` rounded down; the overhead is clamped to 9 bits.
  static TmmbrEntry FromBitrate(uint32_t ssrc, uint64_t bitrateBps, uint16_t overhead = 0);
  uint64_t BitrateBps() const { return DecodeBitrate(exponent, mantissa); }

  bool IsValid() const {
    return exponent <= kMaxExponent && mantissa <= kMaxMantissa && overhead <= kMaxOverhead;
  }
  // `p` points at kSize readable bytes.
  static TmmbrEntry Read(const uint8_t* p);
  // `p` points at kSize writable bytes; requires IsValid().
  void Write(uint8_t* p) const;

  // The whole TMMBR/TMMBN packet (RFC 5104 4.2.1.1, 4.2.2.1: the same
  // layout under FMT 3 and 4): its size, or 0 when an entry is invalid; and
  // the packet written into `out` (its size, or 0 when it does not fit).
  static size_t SerializedPacketSize(std::span<const TmmbrEntry> entries);
  static size_t SerializePacket(uint8_t format, uint32_t senderSsrc, uint32_t mediaSsrc,
                                std::span<const TmmbrEntry> entries, std::span<uint8_t> out);
};

}  // namespace myriad::rtp
