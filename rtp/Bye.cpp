#include "rtp/Bye.h"

#include <cstring>

#include "rtp/BigEndian.h"

namespace myriad::rtp {

std::optional<Bye> Bye::Parse(std::span<uint8_t> buffer) {
  std::optional<RtcpHeader> header = RtcpHeader::ParseTyped(buffer, RtcpHeader::kBye, std::nullopt);
  if (!header) return std::nullopt;
  const std::span<uint8_t> body = header->Body();
  const size_t ssrcBytes = 4 * size_t{header->CountOrFormat()};
  if (ssrcBytes > body.size()) return std::nullopt;
  if (body.size() > ssrcBytes) {
    const size_t reasonLength = body[ssrcBytes];
    if (ssrcBytes + 1 + reasonLength > body.size()) return std::nullopt;
  }
  return Bye(*header);
}

size_t Bye::SerializedSize(const Fields& fields) {
  if (fields.ssrcs.size() > RtcpHeader::kMaxCount || fields.reason.size() > 255) return 0;
  const size_t reason = fields.reason.empty() ? 0 : (1 + fields.reason.size() + 3) / 4 * 4;
  return RtcpHeader::kSize + 4 * fields.ssrcs.size() + reason;
}

size_t Bye::Serialize(const Fields& fields, std::span<uint8_t> out) {
  const size_t size = SerializedSize(fields);
  if (size == 0 || out.size() < size) return 0;
  RtcpHeader::Write(out, static_cast<uint8_t>(fields.ssrcs.size()), RtcpHeader::kBye, size);
  uint8_t* p = out.data();
  size_t pos = RtcpHeader::kSize;
  for (uint32_t ssrc : fields.ssrcs) {
    WriteBigEndian32(p + pos, ssrc);
    pos += 4;
  }
  if (!fields.reason.empty()) {
    p[pos] = static_cast<uint8_t>(fields.reason.size());
    std::memcpy(p + pos + 1, fields.reason.data(), fields.reason.size());
    pos += 1 + fields.reason.size();
    std::memset(p + pos, 0, size - pos);  // pad the reason to a 32-bit boundary
  }
  return size;
}

uint32_t Bye::SsrcAt(size_t index) const { return ReadBigEndian32(&header_.Body()[4 * index]); }

void Bye::SetSsrcAt(size_t index, uint32_t ssrc) {
  WriteBigEndian32(&header_.Body()[4 * index], ssrc);
}

std::string_view Bye::Reason() const {
  const std::span<uint8_t> body = header_.Body();
  const size_t at = 4 * SsrcCount();
  if (body.size() <= at) return {};
  return {reinterpret_cast<const char*>(&body[at + 1]), body[at]};
}

}  // namespace myriad::rtp
