#pragma once

// Temporary Maximum Media Stream Bit Rate Request, RTPFB (PT=205) FMT=3 (RFC 5104 section
// 4.2.1): the request's sender caps the bit rate of each stream named in an FCI entry
// (rtp/TmmbrEntry.h); the common header's media source SSRC is unused and SHALL be 0
// (4.2.1.2). The length SHALL be 2 + 2 * N words for N entries, N >= 1 (4.2.1.1).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/RtcpFeedbackHeader.h"
#include "rtp/TmmbrEntry.h"

namespace myriad::rtp {

class Tmmbr {
 public:
  struct Fields {
    uint32_t senderSsrc = 0;
    uint32_t mediaSsrc = 0;               // RFC 5104 4.2.1.2: SHALL be 0
    std::span<const TmmbrEntry> entries;  // at least one, each IsValid()
  };

  // nullopt unless PT=205, FMT=3 and the FCI is a non-empty whole number of 8-byte entries.
  static std::optional<Tmmbr> Parse(std::span<uint8_t> buffer);
  static size_t SerializedSize(const Fields& fields);                     // 0 if fields are invalid
  static size_t Serialize(const Fields& fields, std::span<uint8_t> out);  // bytes or 0

  uint32_t SenderSsrc() const { return feedback_.SenderSsrc(); }
  uint32_t MediaSsrc() const { return feedback_.MediaSsrc(); }
  void SetSenderSsrc(uint32_t ssrc) { feedback_.SetSenderSsrc(ssrc); }
  void SetMediaSsrc(uint32_t ssrc) { feedback_.SetMediaSsrc(ssrc); }

  size_t EntryCount() const { return feedback_.Fci().size() / TmmbrEntry::kSize; }
  TmmbrEntry EntryAt(size_t index) const;  // index < EntryCount()
  void SetEntrySsrc(size_t index, uint32_t ssrc);
  const RtcpHeader& Header() const { return feedback_.Header(); }

 private:
  explicit Tmmbr(RtcpFeedbackHeader feedback) : feedback_(feedback) {}
  RtcpFeedbackHeader feedback_;
};

}  // namespace myriad::rtp
