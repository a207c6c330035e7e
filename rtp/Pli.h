#pragma once

// Picture Loss Indication, PSFB (PT=206) FMT=1 (RFC 4585 section 6.3.1): no FCI, the
// media source SSRC names the stream that needs a key frame.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/RtcpFeedbackHeader.h"

namespace myriad::rtp {

class Pli {
 public:
  static constexpr size_t kSize = RtcpFeedbackHeader::kSize;

  struct Fields {
    uint32_t senderSsrc = 0;
    uint32_t mediaSsrc = 0;
  };

  // nullopt unless PT=206 and FMT=1. Trailing FCI bytes are tolerated (RFC 4585 6.3.1 says
  // PLI has none, but ignoring extras is harmless and interoperates).
  static std::optional<Pli> Parse(std::span<uint8_t> buffer);
  static size_t Serialize(const Fields& fields, std::span<uint8_t> out);  // kSize or 0

  uint32_t SenderSsrc() const { return feedback_.SenderSsrc(); }
  uint32_t MediaSsrc() const { return feedback_.MediaSsrc(); }
  void SetSenderSsrc(uint32_t ssrc) { feedback_.SetSenderSsrc(ssrc); }
  void SetMediaSsrc(uint32_t ssrc) { feedback_.SetMediaSsrc(ssrc); }
  const RtcpHeader& Header() const { return feedback_.Header(); }

 private:
  explicit Pli(RtcpFeedbackHeader feedback) : feedback_(feedback) {}
  RtcpFeedbackHeader feedback_;
};

}  // namespace myriad::rtp
