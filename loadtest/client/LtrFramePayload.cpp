#include "loadtest/client/LtrFramePayload.h"

namespace myriad::loadtest {
namespace {

constexpr uint8_t kLongTermReferenceBit = 0x80;
constexpr uint8_t kTypeMask = 0x03;
constexpr uint8_t kReservedMask = 0x7C;

uint64_t ReadBigEndian(std::span<const uint8_t> bytes) {
  uint64_t value = 0;
  for (const uint8_t byte : bytes) value = (value << 8) | byte;
  return value;
}

void WriteBigEndian(std::span<uint8_t> out, uint64_t value) {
  for (size_t i = out.size(); i-- > 0;) {
    out[i] = static_cast<uint8_t>(value);
    value >>= 8;
  }
}

bool Valid(const LtrFramePayload& record) {
  if (record.type != LtrFramePayload::FrameType::kKey &&
      record.type != LtrFramePayload::FrameType::kDelta &&
      record.type != LtrFramePayload::FrameType::kRecovery) {
    return false;
  }
  if (record.type == LtrFramePayload::FrameType::kKey && record.referenceId != record.frameId) {
    return false;
  }
  return record.packetCount >= 1 && record.packetCount <= LtrFramePayload::kMaxPacketsPerFrame &&
         record.packetIndex < record.packetCount && record.sendTimeUs >= 0;
}

}  // namespace

std::optional<LtrFramePayload> LtrFramePayload::Parse(std::span<const uint8_t> payload) {
  if (payload.size() < kSize) return std::nullopt;
  if (payload[0] != kMagic[0] || payload[1] != kMagic[1] || payload[2] != kVersion) {
    return std::nullopt;
  }
  if ((payload[3] & kReservedMask) != 0) return std::nullopt;
  LtrFramePayload record;
  record.type = static_cast<FrameType>(payload[3] & kTypeMask);
  record.longTermReference = (payload[3] & kLongTermReferenceBit) != 0;
  record.frameId = static_cast<uint16_t>(ReadBigEndian(payload.subspan(4, 2)));
  record.referenceId = static_cast<uint16_t>(ReadBigEndian(payload.subspan(6, 2)));
  record.packetIndex = static_cast<uint16_t>(ReadBigEndian(payload.subspan(8, 2)));
  record.packetCount = static_cast<uint16_t>(ReadBigEndian(payload.subspan(10, 2)));
  // Values above INT64_MAX become negative and fail the rules.
  record.sendTimeUs = static_cast<int64_t>(ReadBigEndian(payload.subspan(12, 8)));
  if (!Valid(record)) return std::nullopt;
  return record;
}

size_t LtrFramePayload::Serialize(std::span<uint8_t> out) const {
  if (out.size() < kSize || !Valid(*this)) return 0;
  out[0] = kMagic[0];
  out[1] = kMagic[1];
  out[2] = kVersion;
  out[3] = static_cast<uint8_t>(static_cast<uint8_t>(type) |
                                (longTermReference ? kLongTermReferenceBit : 0));
  WriteBigEndian(out.subspan(4, 2), frameId);
  WriteBigEndian(out.subspan(6, 2), referenceId);
  WriteBigEndian(out.subspan(8, 2), packetIndex);
  WriteBigEndian(out.subspan(10, 2), packetCount);
  WriteBigEndian(out.subspan(12, 8), static_cast<uint64_t>(sendTimeUs));
  return kSize;
}

}  // namespace myriad::loadtest
