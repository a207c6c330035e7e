#include "rtp/ReceiverReport.h"

#include "rtp/BigEndian.h"

namespace myriad::rtp {

std::optional<ReceiverReport> ReceiverReport::Parse(std::span<uint8_t> buffer) {
  std::optional<RtcpHeader> header =
      RtcpHeader::ParseTyped(buffer, RtcpHeader::kReceiverReport, std::nullopt);
  if (!header) return std::nullopt;
  const size_t needed = kFixedSize + header->CountOrFormat() * ReportBlock::kSize;
  if (RtcpHeader::kSize + header->Body().size() < needed) return std::nullopt;
  return ReceiverReport(*header);
}

size_t ReceiverReport::SerializedSize(const Fields& fields) {
  return kFixedSize + fields.reportBlocks.size() * ReportBlock::kSize;
}

size_t ReceiverReport::Serialize(const Fields& fields, std::span<uint8_t> out) {
  const size_t size = SerializedSize(fields);
  if (fields.reportBlocks.size() > RtcpHeader::kMaxCount || out.size() < size) return 0;
  RtcpHeader::Write(out, static_cast<uint8_t>(fields.reportBlocks.size()),
                    RtcpHeader::kReceiverReport, size);
  WriteBigEndian32(out.data() + RtcpHeader::kSize, fields.senderSsrc);
  size_t pos = kFixedSize;
  for (const ReportBlock::Fields& block : fields.reportBlocks) {
    pos += ReportBlock::Serialize(block, out.subspan(pos));
  }
  return size;
}

uint32_t ReceiverReport::SenderSsrc() const { return ReadBigEndian32(&header_.Body()[0]); }

ReportBlock ReceiverReport::ReportBlockAt(size_t index) const {
  // Parse checked that all RC blocks fit, so this cannot fail.
  return *ReportBlock::Parse(header_.Packet().subspan(kFixedSize + index * ReportBlock::kSize));
}

void ReceiverReport::SetSenderSsrc(uint32_t ssrc) { WriteBigEndian32(&header_.Body()[0], ssrc); }

}  // namespace myriad::rtp
