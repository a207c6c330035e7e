#pragma once

// RTCP Receiver Report, PT=201 (RFC 3550 section 6.4.2):
//
//   |V=2|P|    RC   |   PT=RR=201   |             length            |
//   |                     SSRC of packet sender                     |
//   |                 report blocks (RC x 24 bytes)                 |
//   |                  profile-specific extensions                  |

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/ReportBlock.h"
#include "rtp/RtcpHeader.h"

namespace myriad::rtp {

class ReceiverReport {
 public:
  static constexpr size_t kFixedSize = RtcpHeader::kSize + 4;

  struct Fields {
    uint32_t senderSsrc = 0;
    std::span<const ReportBlock::Fields> reportBlocks;  // at most 31
  };

  // One RR packet; nullopt unless PT=201 and RC report blocks fit in the packet body.
  static std::optional<ReceiverReport> Parse(std::span<uint8_t> buffer);
  static size_t SerializedSize(const Fields& fields);
  static size_t Serialize(const Fields& fields, std::span<uint8_t> out);  // bytes or 0

  uint32_t SenderSsrc() const;
  size_t ReportBlockCount() const { return header_.CountOrFormat(); }
  ReportBlock ReportBlockAt(size_t index) const;  // index < ReportBlockCount()
  const RtcpHeader& Header() const { return header_; }

  void SetSenderSsrc(uint32_t ssrc);

 private:
  explicit ReceiverReport(RtcpHeader header) : header_(header) {}
  RtcpHeader header_;
};

}  // namespace myriad::rtp
