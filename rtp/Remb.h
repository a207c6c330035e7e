#pragma once

// Receiver Estimated Maximum Bitrate, PSFB (PT=206) FMT=15 application layer feedback
// (draft-alvestrand-rmcat-remb-03 section 2.2):
//
//   |                  SSRC of packet sender                        |
//   |                  SSRC of media source (always 0)              |
//   |  Unique identifier 'R' 'E' 'M' 'B'                            |
//   |  Num SSRC     | BR Exp    |  BR Mantissa                      |
//   |   SSRC feedback (Num SSRC times)                              |
//
// Bitrate in bits per second = mantissa (18 bits) * 2^exp (6 bits).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/RtcpFeedbackHeader.h"

namespace myriad::rtp {

class Remb {
 public:
  static constexpr size_t kFixedSize = RtcpFeedbackHeader::kSize + 8;
  static constexpr uint32_t kMaxMantissa = (1u << 18) - 1;

  struct Fields {
    uint32_t senderSsrc = 0;
    uint64_t bitrateBps = 0;          // encoded rounding down to what exp/mantissa can express
    std::span<const uint32_t> ssrcs;  // at most 255
  };

  // nullopt unless PT=206, FMT=15, the 'REMB' identifier and Num SSRC SSRCs are present.
  static std::optional<Remb> Parse(std::span<uint8_t> buffer);
  static size_t SerializedSize(const Fields& fields);                     // 0 if fields are invalid
  static size_t Serialize(const Fields& fields, std::span<uint8_t> out);  // bytes or 0

  // Smallest exponent whose mantissa fits 18 bits; the mantissa is truncated, never rounded
  // up, so the receiver never sees more than the estimate.
  struct Encoded {
    uint8_t exponent = 0;
    uint32_t mantissa = 0;
  };
  static Encoded EncodeBitrate(uint64_t bitrateBps);

  uint32_t SenderSsrc() const { return feedback_.SenderSsrc(); }
  void SetSenderSsrc(uint32_t ssrc) { feedback_.SetSenderSsrc(ssrc); }
  uint8_t Exponent() const;
  uint32_t Mantissa() const;
  uint64_t BitrateBps() const;  // saturates at UINT64_MAX for absurd exponents
  size_t SsrcCount() const { return feedback_.Fci()[4]; }
  uint32_t SsrcAt(size_t index) const;  // index < SsrcCount()
  void SetSsrcAt(size_t index, uint32_t ssrc);
  const RtcpHeader& Header() const { return feedback_.Header(); }

 private:
  explicit Remb(RtcpFeedbackHeader feedback) : feedback_(feedback) {}
  RtcpFeedbackHeader feedback_;
};

}  // namespace myriad::rtp
