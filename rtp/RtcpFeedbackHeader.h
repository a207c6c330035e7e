#pragma once

// Common part of RTPFB (205) and PSFB (206) feedback messages (RFC 4585 section 6.1):
//
//   |V=2|P|   FMT   |       PT      |          length               |
//   |                  SSRC of packet sender                        |
//   |                  SSRC of media source                         |
//   :            Feedback Control Information (FCI)                 :

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/RtcpHeader.h"

namespace myriad::rtp {

class RtcpFeedbackHeader {
 public:
  static constexpr size_t kSize = RtcpHeader::kSize + 8;

  // Checks PT and FMT and that both SSRCs are present.
  static std::optional<RtcpFeedbackHeader> Parse(std::span<uint8_t> buffer, uint8_t packetType,
                                                 uint8_t format);
  // Writes the 12-byte common part of a packet of `packetSize` bytes; kSize or 0.
  static size_t Write(std::span<uint8_t> out, uint8_t packetType, uint8_t format, size_t packetSize,
                      uint32_t senderSsrc, uint32_t mediaSsrc);

  uint32_t SenderSsrc() const;
  uint32_t MediaSsrc() const;
  void SetSenderSsrc(uint32_t ssrc);
  void SetMediaSsrc(uint32_t ssrc);
  std::span<uint8_t> Fci() const { return header_.Body().subspan(8); }  // without padding
  const RtcpHeader& Header() const { return header_; }

 private:
  explicit RtcpFeedbackHeader(RtcpHeader header) : header_(header) {}
  RtcpHeader header_;
};

}  // namespace myriad::rtp
