#include "loadtest/client/LoadtestPayload.h"

namespace myriad::loadtest {
namespace {

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

bool TimesValid(int64_t sendTimeUs, int64_t talkSpurtStartUs) {
  return sendTimeUs >= 0 && talkSpurtStartUs >= 0 && talkSpurtStartUs <= sendTimeUs;
}

}  // namespace

std::optional<LoadtestPayload> LoadtestPayload::Parse(std::span<const uint8_t> payload) {
  if (payload.size() < kSize) return std::nullopt;
  if (payload[0] != kMagic[0] || payload[1] != kMagic[1] || payload[2] != kVersion) {
    return std::nullopt;
  }
  LoadtestPayload record;
  record.stream = payload[3];
  record.publisherIndex = static_cast<uint32_t>(ReadBigEndian(payload.subspan(4, 4)));
  // Values above INT64_MAX become negative and fail the time rules.
  record.sendTimeUs = static_cast<int64_t>(ReadBigEndian(payload.subspan(8, 8)));
  record.talkSpurtStartUs = static_cast<int64_t>(ReadBigEndian(payload.subspan(16, 8)));
  if (!TimesValid(record.sendTimeUs, record.talkSpurtStartUs)) return std::nullopt;
  return record;
}

size_t LoadtestPayload::Serialize(std::span<uint8_t> out) const {
  if (out.size() < kSize || !TimesValid(sendTimeUs, talkSpurtStartUs)) return 0;
  out[0] = kMagic[0];
  out[1] = kMagic[1];
  out[2] = kVersion;
  out[3] = stream;
  WriteBigEndian(out.subspan(4, 4), publisherIndex);
  WriteBigEndian(out.subspan(8, 8), static_cast<uint64_t>(sendTimeUs));
  WriteBigEndian(out.subspan(16, 8), static_cast<uint64_t>(talkSpurtStartUs));
  return kSize;
}

}  // namespace myriad::loadtest
