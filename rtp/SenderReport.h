#pragma once

// RTCP Sender Report, PT=200 (RFC 3550 section 6.4.1):
//
//   |V=2|P|    RC   |   PT=SR=200   |             length            |
//   |                         SSRC of sender                        |
//   |              NTP timestamp, most significant word             |
//   |             NTP timestamp, least significant word             |
//   |                         RTP timestamp                         |
//   |                     sender's packet count                     |
//   |                      sender's octet count                     |
//   |                 report blocks (RC x 24 bytes)                 |
//   |                  profile-specific extensions                  |

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/ReportBlock.h"
#include "rtp/RtcpHeader.h"

namespace myriad::rtp {

class SenderReport {
 public:
  static constexpr size_t kFixedSize = RtcpHeader::kSize + 24;

  struct Fields {
    uint32_t senderSsrc = 0;
    uint64_t ntpTimestamp = 0;  // 32.32 fixed point seconds since 1900
    uint32_t rtpTimestamp = 0;
    uint32_t packetCount = 0;
    uint32_t octetCount = 0;
    std::span<const ReportBlock::Fields> reportBlocks;  // at most 31
  };

  // One SR packet; nullopt unless PT=200 and RC report blocks fit in the packet body.
  static std::optional<SenderReport> Parse(std::span<uint8_t> buffer);
  static size_t SerializedSize(const Fields& fields);
  static size_t Serialize(const Fields& fields, std::span<uint8_t> out);  // bytes or 0

  uint32_t SenderSsrc() const;
  uint64_t NtpTimestamp() const;
  uint32_t RtpTimestamp() const;
  uint32_t PacketCount() const;
  uint32_t OctetCount() const;
  size_t ReportBlockCount() const { return header_.CountOrFormat(); }
  ReportBlock ReportBlockAt(size_t index) const;  // index < ReportBlockCount()
  const RtcpHeader& Header() const { return header_; }

  void SetSenderSsrc(uint32_t ssrc);

 private:
  explicit SenderReport(RtcpHeader header) : header_(header) {}
  RtcpHeader header_;
};

}  // namespace myriad::rtp
