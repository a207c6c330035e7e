#include "rtp/Pli.h"

namespace myriad::rtp {

std::optional<Pli> Pli::Parse(std::span<uint8_t> buffer) {
  std::optional<RtcpFeedbackHeader> feedback =
      RtcpFeedbackHeader::Parse(buffer, RtcpHeader::kPayloadFeedback, RtcpHeader::kFmtPli);
  if (!feedback) return std::nullopt;
  return Pli(*feedback);
}

size_t Pli::Serialize(const Fields& fields, std::span<uint8_t> out) {
  return RtcpFeedbackHeader::Write(out, RtcpHeader::kPayloadFeedback, RtcpHeader::kFmtPli, kSize,
                                   fields.senderSsrc, fields.mediaSsrc);
}

}  // namespace myriad::rtp
