#include "rtp/Fir.h"

#include <cstring>

#include "rtp/BigEndian.h"

namespace myriad::rtp {

std::optional<Fir> Fir::Parse(std::span<uint8_t> buffer) {
  std::optional<RtcpFeedbackHeader> feedback =
      RtcpFeedbackHeader::Parse(buffer, RtcpHeader::kPayloadFeedback, RtcpHeader::kFmtFir);
  if (!feedback) return std::nullopt;
  const size_t fci = feedback->Fci().size();
  if (fci == 0 || fci % kEntrySize != 0) return std::nullopt;
  return Fir(*feedback);
}

size_t Fir::SerializedSize(const Fields& fields) {
  return fields.entries.empty() ? 0
                                : RtcpFeedbackHeader::kSize + fields.entries.size() * kEntrySize;
}

size_t Fir::Serialize(const Fields& fields, std::span<uint8_t> out) {
  const size_t size = SerializedSize(fields);
  if (size == 0 || out.size() < size) return 0;
  if (RtcpFeedbackHeader::Write(out, RtcpHeader::kPayloadFeedback, RtcpHeader::kFmtFir, size,
                                fields.senderSsrc, fields.mediaSsrc) == 0) {
    return 0;
  }
  uint8_t* p = out.data() + RtcpFeedbackHeader::kSize;
  for (const Entry& entry : fields.entries) {
    WriteBigEndian32(p, entry.ssrc);
    p[4] = entry.sequenceNumber;
    std::memset(p + 5, 0, 3);  // reserved, RFC 5104 4.3.1.1: set to 0
    p += kEntrySize;
  }
  return size;
}

Fir::Entry Fir::EntryAt(size_t index) const {
  const uint8_t* p = &feedback_.Fci()[index * kEntrySize];
  return Entry{ReadBigEndian32(p), p[4]};
}

void Fir::SetEntrySsrc(size_t index, uint32_t ssrc) {
  WriteBigEndian32(&feedback_.Fci()[index * kEntrySize], ssrc);
}

void Fir::SetEntrySequenceNumber(size_t index, uint8_t sequenceNumber) {
  feedback_.Fci()[index * kEntrySize + 4] = sequenceNumber;
}

}  // namespace myriad::rtp
