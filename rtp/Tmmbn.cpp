#include "rtp/Tmmbn.h"

#include "rtp/BigEndian.h"

namespace myriad::rtp {

std::optional<Tmmbn> Tmmbn::Parse(std::span<uint8_t> buffer) {
  std::optional<RtcpFeedbackHeader> feedback =
      RtcpFeedbackHeader::Parse(buffer, RtcpHeader::kTransportFeedback, RtcpHeader::kFmtTmmbn);
  if (!feedback) return std::nullopt;
  if (feedback->Fci().size() % TmmbrEntry::kSize != 0) return std::nullopt;
  return Tmmbn(*feedback);
}

size_t Tmmbn::SerializedSize(const Fields& fields) {
  return TmmbrEntry::SerializedPacketSize(fields.entries);
}

size_t Tmmbn::Serialize(const Fields& fields, std::span<uint8_t> out) {
  return TmmbrEntry::SerializePacket(RtcpHeader::kFmtTmmbn, fields.senderSsrc, fields.mediaSsrc,
                                     fields.entries, out);
}

TmmbrEntry Tmmbn::EntryAt(size_t index) const {
  return TmmbrEntry::Read(&feedback_.Fci()[index * TmmbrEntry::kSize]);
}

void Tmmbn::SetEntrySsrc(size_t index, uint32_t ssrc) {
  WriteBigEndian32(&feedback_.Fci()[index * TmmbrEntry::kSize], ssrc);
}

}  // namespace myriad::rtp
