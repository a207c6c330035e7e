#include "rtp/ReportBlock.h"

#include <algorithm>

#include "rtp/BigEndian.h"

namespace myriad::rtp {

std::optional<ReportBlock> ReportBlock::Parse(std::span<uint8_t> buffer) {
  if (buffer.size() < kSize) return std::nullopt;
  return ReportBlock(buffer.first(kSize));
}

size_t ReportBlock::Serialize(const Fields& fields, std::span<uint8_t> out) {
  if (out.size() < kSize) return 0;
  uint8_t* p = out.data();
  WriteBigEndian32(p, fields.sourceSsrc);
  p[4] = fields.fractionLost;
  const int32_t lost = std::clamp(fields.cumulativeLost, kMinCumulativeLost, kMaxCumulativeLost);
  WriteBigEndian24(p + 5, static_cast<uint32_t>(lost) & 0xFFFFFF);
  WriteBigEndian32(p + 8, fields.extendedHighestSequenceNumber);
  WriteBigEndian32(p + 12, fields.jitter);
  WriteBigEndian32(p + 16, fields.lastSenderReport);
  WriteBigEndian32(p + 20, fields.delaySinceLastSenderReport);
  return kSize;
}

uint32_t ReportBlock::SourceSsrc() const { return ReadBigEndian32(&data_[0]); }

int32_t ReportBlock::CumulativeLost() const {
  const uint32_t raw = ReadBigEndian24(&data_[5]);
  return (raw & 0x800000) ? static_cast<int32_t>(raw) - 0x1000000 : static_cast<int32_t>(raw);
}

uint32_t ReportBlock::ExtendedHighestSequenceNumber() const { return ReadBigEndian32(&data_[8]); }
uint32_t ReportBlock::Jitter() const { return ReadBigEndian32(&data_[12]); }
uint32_t ReportBlock::LastSenderReport() const { return ReadBigEndian32(&data_[16]); }
uint32_t ReportBlock::DelaySinceLastSenderReport() const { return ReadBigEndian32(&data_[20]); }

ReportBlock::Fields ReportBlock::ToFields() const {
  return Fields{SourceSsrc(),
                FractionLost(),
                CumulativeLost(),
                ExtendedHighestSequenceNumber(),
                Jitter(),
                LastSenderReport(),
                DelaySinceLastSenderReport()};
}

void ReportBlock::SetSourceSsrc(uint32_t ssrc) { WriteBigEndian32(&data_[0], ssrc); }

}  // namespace myriad::rtp
