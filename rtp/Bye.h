#pragma once

// RTCP Goodbye, PT=203 (RFC 3550 section 6.6):
//
//   |V=2|P|    SC   |   PT=BYE=203  |             length            |
//   |                           SSRC/CSRC (SC times)                |
//   |     length    |               reason for leaving             ... (optional)

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "rtp/RtcpHeader.h"

namespace myriad::rtp {

class Bye {
 public:
  struct Fields {
    std::span<const uint32_t> ssrcs;  // at most 31
    std::string_view reason;          // at most 255 bytes; empty = no reason field
  };

  // One BYE packet; nullopt unless PT=203, SC SSRCs fit, and an optional reason fits.
  static std::optional<Bye> Parse(std::span<uint8_t> buffer);
  static size_t SerializedSize(const Fields& fields);                     // 0 if fields are invalid
  static size_t Serialize(const Fields& fields, std::span<uint8_t> out);  // bytes or 0

  size_t SsrcCount() const { return header_.CountOrFormat(); }
  uint32_t SsrcAt(size_t index) const;  // index < SsrcCount()
  void SetSsrcAt(size_t index, uint32_t ssrc);
  std::string_view Reason() const;
  const RtcpHeader& Header() const { return header_; }

 private:
  explicit Bye(RtcpHeader header) : header_(header) {}
  RtcpHeader header_;
};

}  // namespace myriad::rtp
