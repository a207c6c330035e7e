#pragma once

// Temporary Maximum Media Stream Bit Rate Notification, RTPFB (PT=205) FMT=4 (RFC 5104 section
// 4.2.2): the media sender's answer to TMMBR, listing its current bounding set (the requests
// that determine its bit rate, RFC 5104 3.5.4) as FCI entries of the TMMBR layout
// (rtp/TmmbrEntry.h). The media source SSRC is unused and SHALL be 0 (4.2.2.2). Unlike TMMBR
// the FCI may hold zero entries (4.2.2.1): an empty bounding set, no bound in force.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/RtcpFeedbackHeader.h"
#include "rtp/TmmbrEntry.h"

namespace myriad::rtp {

class Tmmbn {
 public:
  struct Fields {
    uint32_t senderSsrc = 0;
    uint32_t mediaSsrc = 0;               // RFC 5104 4.2.2.2: SHALL be 0
    std::span<const TmmbrEntry> entries;  // zero or more, each IsValid()
  };

  // nullopt unless PT=205, FMT=4 and the FCI is a whole number (possibly zero) of 8-byte entries.
  static std::optional<Tmmbn> Parse(std::span<uint8_t> buffer);
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
  explicit Tmmbn(RtcpFeedbackHeader feedback) : feedback_(feedback) {}
  RtcpFeedbackHeader feedback_;
};

}  // namespace myriad::rtp
