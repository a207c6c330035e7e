#include "rtp/RtpHeaderExtensions.h"

#include "rtp/BigEndian.h"

namespace myriad::rtp {

std::optional<AudioLevel> ReadAudioLevel(std::span<const uint8_t> value) {
  if (value.size() < kAudioLevelSize) return std::nullopt;
  return AudioLevel{(value[0] & 0x80) != 0, static_cast<uint8_t>(value[0] & 0x7F)};
}

bool WriteAudioLevel(std::span<uint8_t> value, AudioLevel audioLevel) {
  if (value.size() < kAudioLevelSize) return false;
  const uint8_t level = audioLevel.level > 127 ? 127 : audioLevel.level;
  value[0] = static_cast<uint8_t>((audioLevel.voiceActivity ? 0x80 : 0) | level);
  return true;
}

std::optional<uint16_t> ReadTransportSequenceNumber(std::span<const uint8_t> value) {
  if (value.size() < kTransportSequenceNumberSize) return std::nullopt;
  return ReadBigEndian16(value.data());
}

bool WriteTransportSequenceNumber(std::span<uint8_t> value, uint16_t seq) {
  if (value.size() < kTransportSequenceNumberSize) return false;
  WriteBigEndian16(value.data(), seq);
  return true;
}

std::optional<uint32_t> ReadAbsSendTime(std::span<const uint8_t> value) {
  if (value.size() < kAbsSendTimeSize) return std::nullopt;
  return ReadBigEndian24(value.data());
}

bool WriteAbsSendTime(std::span<uint8_t> value, uint32_t absSendTime) {
  if (value.size() < kAbsSendTimeSize) return false;
  WriteBigEndian24(value.data(), absSendTime & 0xFFFFFF);
  return true;
}

namespace {
constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kAbsSendTimeWrapMicros = 64 * kMicrosPerSecond;
}  // namespace

uint32_t AbsSendTimeFromMicros(int64_t micros) {
  // Reduce modulo the 64 s wrap first so the shift below cannot overflow (< 2^26 << 18).
  int64_t wrapped = micros % kAbsSendTimeWrapMicros;
  if (wrapped < 0) wrapped += kAbsSendTimeWrapMicros;
  const int64_t fixed = ((wrapped << 18) + kMicrosPerSecond / 2) / kMicrosPerSecond;
  return static_cast<uint32_t>(fixed) & 0xFFFFFF;
}

int64_t AbsSendTimeToMicros(uint32_t absSendTime) {
  const int64_t fixed = absSendTime & 0xFFFFFF;
  return (fixed * kMicrosPerSecond + (1 << 17)) >> 18;
}

std::optional<VideoOrientation> ReadVideoOrientation(std::span<const uint8_t> value) {
  if (value.empty()) return std::nullopt;
  return VideoOrientation{(value[0] & 0x08) != 0, (value[0] & 0x04) != 0,
                          static_cast<uint16_t>((value[0] & 0x03) * 90)};
}

std::string_view ReadStringExtension(std::span<const uint8_t> value) {
  size_t size = value.size();
  while (size > 0 && value[size - 1] == 0) --size;
  return {reinterpret_cast<const char*>(value.data()), size};
}

}  // namespace myriad::rtp
