#include "rtp/Tmmbr.h"

#include "rtp/BigEndian.h"

namespace myriad::rtp {

std::optional<Tmmbr> Tmmbr::Parse(std::span<uint8_t> buffer) {
  std::optional<RtcpFeedbackHeader> feedback =
      RtcpFeedbackHeader::Parse(buffer, RtcpHeader::kTransportFeedback, RtcpHeader::kFmtTmmbr);
  if (!feedback) return std::nullopt;
  const size_t fci = feedback->Fci().size();
  if (fci == 0 || fci % TmmbrEntry::kSize != 0) return std::nullopt;
  return Tmmbr(*feedback);
}

size_t Tmmbr::SerializedSize(const Fields& fields) {
  if (fields.entries.empty()) return 0;  // RFC 5104 4.2.1.1: at least one entry
  return TmmbrEntry::SerializedPacketSize(fields.entries);
}

size_t Tmmbr::Serialize(const Fields& fields, std::span<uint8_t> out) {
  if (fields.entries.empty()) return 0;
  return TmmbrEntry::SerializePacket(RtcpHeader::kFmtTmmbr, fields.senderSsrc, fields.mediaSsrc,
                                     fields.entries, out);
}

TmmbrEntry Tmmbr::EntryAt(size_t index) const {
  return TmmbrEntry::Read(&feedback_.Fci()[index * TmmbrEntry::kSize]);
}

void Tmmbr::SetEntrySsrc(size_t index, uint32_t ssrc) {
  WriteBigEndian32(&feedback_.Fci()[index * TmmbrEntry::kSize], ssrc);
}

}  // namespace myriad::rtp
