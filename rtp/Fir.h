#pragma once

// Full Intra Request, PSFB (PT=206) FMT=4 (RFC 5104 section 4.3.1). The media source SSRC is
// unused (set to 0); the FCI holds one entry per requested stream:
//
//   |                              SSRC                             |
//   | Seq nr.       |    Reserved                                   |
//
// The sequence number increases by one per new request (4.3.1.2) so retransmitted FIRs for
// the same request can be told apart from new ones.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/RtcpFeedbackHeader.h"

namespace myriad::rtp {

class Fir {
 public:
  static constexpr size_t kEntrySize = 8;

  struct Entry {
    uint32_t ssrc = 0;
    uint8_t sequenceNumber = 0;
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  struct Fields {
    uint32_t senderSsrc = 0;
    uint32_t mediaSsrc = 0;          // RFC 5104 4.3.1.2: SHALL be 0
    std::span<const Entry> entries;  // at least one
  };

  // nullopt unless PT=206, FMT=4 and the FCI is a non-empty whole number of entries.
  static std::optional<Fir> Parse(std::span<uint8_t> buffer);
  static size_t SerializedSize(const Fields& fields);                     // 0 without entries
  static size_t Serialize(const Fields& fields, std::span<uint8_t> out);  // bytes or 0

  uint32_t SenderSsrc() const { return feedback_.SenderSsrc(); }
  uint32_t MediaSsrc() const { return feedback_.MediaSsrc(); }
  void SetSenderSsrc(uint32_t ssrc) { feedback_.SetSenderSsrc(ssrc); }
  void SetMediaSsrc(uint32_t ssrc) { feedback_.SetMediaSsrc(ssrc); }

  size_t EntryCount() const { return feedback_.Fci().size() / kEntrySize; }
  Entry EntryAt(size_t index) const;  // index < EntryCount()
  void SetEntrySsrc(size_t index, uint32_t ssrc);
  void SetEntrySequenceNumber(size_t index, uint8_t sequenceNumber);
  const RtcpHeader& Header() const { return feedback_.Header(); }

 private:
  explicit Fir(RtcpFeedbackHeader feedback) : feedback_(feedback) {}
  RtcpFeedbackHeader feedback_;
};

}  // namespace myriad::rtp
