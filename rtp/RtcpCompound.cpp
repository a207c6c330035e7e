#include "rtp/RtcpCompound.h"

namespace myriad::rtp {

std::optional<RtcpCompound> RtcpCompound::Parse(std::span<uint8_t> buffer) {
  if (buffer.empty()) return std::nullopt;
  size_t count = 0;
  std::span<uint8_t> rest = buffer;
  while (!rest.empty()) {
    const std::optional<RtcpHeader> header = RtcpHeader::Parse(rest);
    if (!header) return std::nullopt;
    rest = rest.subspan(header->PacketSize());
    ++count;
  }
  return RtcpCompound(buffer, count);
}

RtcpCompound::Iterator& RtcpCompound::Iterator::operator++() {
  rest_ = rest_.subspan(RtcpHeader::Parse(rest_)->PacketSize());
  return *this;
}

}  // namespace myriad::rtp
