#pragma once

// One reception report block of an SR or RR (RFC 3550 section 6.4.1), 24 bytes:
//
//   |                 SSRC_n (SSRC of source)                       |
//   | fraction lost |       cumulative number of packets lost       |
//   |           extended highest sequence number received           |
//   |                      interarrival jitter                      |
//   |                         last SR (LSR)                         |
//   |                   delay since last SR (DLSR)                  |

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace myriad::rtp {

class ReportBlock {
 public:
  static constexpr size_t kSize = 24;
  // The 24-bit signed cumulative-lost field saturates at these values.
  static constexpr int32_t kMaxCumulativeLost = 0x7FFFFF;
  static constexpr int32_t kMinCumulativeLost = -0x800000;

  struct Fields {
    uint32_t sourceSsrc = 0;
    uint8_t fractionLost = 0;    // fixed point, lost/expected * 256
    int32_t cumulativeLost = 0;  // clamped to 24-bit signed on write
    uint32_t extendedHighestSequenceNumber = 0;
    uint32_t jitter = 0;                      // timestamp units
    uint32_t lastSenderReport = 0;            // middle 32 bits of the SR NTP timestamp
    uint32_t delaySinceLastSenderReport = 0;  // 1/65536 s
    friend bool operator==(const Fields&, const Fields&) = default;
  };

  // The view covers the first kSize bytes of `buffer`.
  static std::optional<ReportBlock> Parse(std::span<uint8_t> buffer);
  static size_t Serialize(const Fields& fields, std::span<uint8_t> out);  // kSize or 0

  uint32_t SourceSsrc() const;
  uint8_t FractionLost() const { return data_[4]; }
  int32_t CumulativeLost() const;  // sign-extended: duplicates can make it negative
  uint32_t ExtendedHighestSequenceNumber() const;
  uint32_t Jitter() const;
  uint32_t LastSenderReport() const;
  uint32_t DelaySinceLastSenderReport() const;
  Fields ToFields() const;

  void SetSourceSsrc(uint32_t ssrc);

 private:
  explicit ReportBlock(std::span<uint8_t> data) : data_(data) {}
  std::span<uint8_t> data_;
};

}  // namespace myriad::rtp
