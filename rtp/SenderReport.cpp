#include "rtp/SenderReport.h"

#include "rtp/BigEndian.h"

namespace myriad::rtp {

std::optional<SenderReport> SenderReport::Parse(std::span<uint8_t> buffer) {
  std::optional<RtcpHeader> header =
      RtcpHeader::ParseTyped(buffer, RtcpHeader::kSenderReport, std::nullopt);
  if (!header) return std::nullopt;
  const size_t needed = kFixedSize + header->CountOrFormat() * ReportBlock::kSize;
  if (RtcpHeader::kSize + header->Body().size() < needed) return std::nullopt;
  return SenderReport(*header);
}

size_t SenderReport::SerializedSize(const Fields& fields) {
  return kFixedSize + fields.reportBlocks.size() * ReportBlock::kSize;
}

size_t SenderReport::Serialize(const Fields& fields, std::span<uint8_t> out) {
  const size_t size = SerializedSize(fields);
  if (fields.reportBlocks.size() > RtcpHeader::kMaxCount || out.size() < size) return 0;
  RtcpHeader::Write(out, static_cast<uint8_t>(fields.reportBlocks.size()),
                    RtcpHeader::kSenderReport, size);
  uint8_t* p = out.data() + RtcpHeader::kSize;
  WriteBigEndian32(p, fields.senderSsrc);
  WriteBigEndian64(p + 4, fields.ntpTimestamp);
  WriteBigEndian32(p + 12, fields.rtpTimestamp);
  WriteBigEndian32(p + 16, fields.packetCount);
  WriteBigEndian32(p + 20, fields.octetCount);
  size_t pos = kFixedSize;
  for (const ReportBlock::Fields& block : fields.reportBlocks) {
    pos += ReportBlock::Serialize(block, out.subspan(pos));
  }
  return size;
}

uint32_t SenderReport::SenderSsrc() const { return ReadBigEndian32(&header_.Body()[0]); }
uint64_t SenderReport::NtpTimestamp() const { return ReadBigEndian64(&header_.Body()[4]); }
uint32_t SenderReport::RtpTimestamp() const { return ReadBigEndian32(&header_.Body()[12]); }
uint32_t SenderReport::PacketCount() const { return ReadBigEndian32(&header_.Body()[16]); }
uint32_t SenderReport::OctetCount() const { return ReadBigEndian32(&header_.Body()[20]); }

ReportBlock SenderReport::ReportBlockAt(size_t index) const {
  // Parse checked that all RC blocks fit, so this cannot fail.
  return *ReportBlock::Parse(header_.Packet().subspan(kFixedSize + index * ReportBlock::kSize));
}

void SenderReport::SetSenderSsrc(uint32_t ssrc) { WriteBigEndian32(&header_.Body()[0], ssrc); }

}  // namespace myriad::rtp
