#include "rtp/RtcpFeedbackHeader.h"

#include "rtp/BigEndian.h"

namespace myriad::rtp {

std::optional<RtcpFeedbackHeader> RtcpFeedbackHeader::Parse(std::span<uint8_t> buffer,
                                                            uint8_t packetType, uint8_t format) {
  std::optional<RtcpHeader> header = RtcpHeader::ParseTyped(buffer, packetType, format);
  if (!header || header->Body().size() < 8) return std::nullopt;
  return RtcpFeedbackHeader(*header);
}

size_t RtcpFeedbackHeader::Write(std::span<uint8_t> out, uint8_t packetType, uint8_t format,
                                 size_t packetSize, uint32_t senderSsrc, uint32_t mediaSsrc) {
  if (out.size() < kSize || packetSize < kSize) return 0;
  if (RtcpHeader::Write(out, format, packetType, packetSize) == 0) return 0;
  WriteBigEndian32(&out[4], senderSsrc);
  WriteBigEndian32(&out[8], mediaSsrc);
  return kSize;
}

uint32_t RtcpFeedbackHeader::SenderSsrc() const { return ReadBigEndian32(&header_.Body()[0]); }
uint32_t RtcpFeedbackHeader::MediaSsrc() const { return ReadBigEndian32(&header_.Body()[4]); }
void RtcpFeedbackHeader::SetSenderSsrc(uint32_t ssrc) {
  WriteBigEndian32(&header_.Body()[0], ssrc);
}
void RtcpFeedbackHeader::SetMediaSsrc(uint32_t ssrc) { WriteBigEndian32(&header_.Body()[4], ssrc); }

}  // namespace myriad::rtp
