#include "rtp/Vp8KeyFrameHeader.h"

namespace myriad::rtp {

namespace {

// RFC 6386 9.1 stores every multi-byte field of the uncompressed chunk little-endian, unlike
// the RTP headers (hence no BigEndian.h here).
uint32_t ReadLittleEndian24(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16);
}

uint16_t ReadLittleEndian16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

constexpr uint8_t kStartCode[3] = {0x9D, 0x01, 0x2A};
constexpr uint16_t kDimensionMask = 0x3FFF;
constexpr int kScaleShift = 14;

}  // namespace

std::optional<Vp8KeyFrameHeader> Vp8KeyFrameHeader::Parse(std::span<const uint8_t> vp8Payload) {
  if (vp8Payload.size() < kSize) return std::nullopt;
  const uint32_t frameTag = ReadLittleEndian24(vp8Payload.data());
  if ((frameTag & 0x01) != 0) return std::nullopt;  // key_frame = 1 means interframe
  if (vp8Payload[3] != kStartCode[0] || vp8Payload[4] != kStartCode[1] ||
      vp8Payload[5] != kStartCode[2]) {
    return std::nullopt;
  }
  const uint16_t horizontal = ReadLittleEndian16(&vp8Payload[6]);
  const uint16_t vertical = ReadLittleEndian16(&vp8Payload[8]);

  Vp8KeyFrameHeader header;
  header.version_ = static_cast<uint8_t>((frameTag >> 1) & 0x07);
  header.showFrame_ = ((frameTag >> 4) & 0x01) != 0;
  header.firstPartitionSize_ = frameTag >> 5;
  header.width_ = horizontal & kDimensionMask;
  header.horizontalScale_ = static_cast<uint8_t>(horizontal >> kScaleShift);
  header.height_ = vertical & kDimensionMask;
  header.verticalScale_ = static_cast<uint8_t>(vertical >> kScaleShift);
  if (header.width_ == 0 || header.height_ == 0) return std::nullopt;
  return header;
}

}  // namespace myriad::rtp
