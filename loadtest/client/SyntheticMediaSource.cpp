#include "loadtest/client/SyntheticMediaSource.h"

#include <algorithm>

#include "rtp/RtpHeaderExtensions.h"
#include "rtp/RtpPacketBuilder.h"

namespace myriad::loadtest {

SyntheticMediaSource::SyntheticMediaSource(Config config)
    : config_(std::move(config)),
      random_(config_.seed),
      sequenceNumber_(config_.firstSequenceNumber) {
  config_.minPayloadSize = std::clamp(config_.minPayloadSize, kSendTimeSize, payload_.size());
  config_.maxPayloadSize =
      std::clamp(config_.maxPayloadSize, config_.minPayloadSize, payload_.size());
  if (config_.framesPerSecond == 0) config_.framesPerSecond = 30;
  if (config_.packetsPerFrame == 0) config_.packetsPerFrame = 1;
  if (config_.packetTimeMs == 0) config_.packetTimeMs = 20;
}

uint32_t SyntheticMediaSource::TimestampOf(uint64_t packetIndex) const {
  uint64_t ticks;
  if (config_.video) {
    // All packets of one frame share its capture time (RFC 3550 5.1).
    const uint64_t frame = packetIndex / config_.packetsPerFrame;
    ticks = frame * config_.clockRate / config_.framesPerSecond;
  } else {
    ticks = packetIndex * config_.clockRate * config_.packetTimeMs / 1000;
  }
  return static_cast<uint32_t>(config_.firstTimestamp + ticks);
}

std::span<uint8_t> SyntheticMediaSource::NextPacket(std::span<uint8_t> buffer,
                                                    uint16_t transportSequence,
                                                    int64_t sendTimeUs) {
  // The send time first (big endian), then seeded noise.
  std::array<uint8_t, kSendTimeSize> sendTime{};
  for (size_t i = 0; i < kSendTimeSize; ++i) {
    sendTime[i] = static_cast<uint8_t>(static_cast<uint64_t>(sendTimeUs) >> (56 - 8 * i));
  }
  return Build(buffer, transportSequence, sendTimeUs, sendTime);
}

std::span<uint8_t> SyntheticMediaSource::NextPacket(std::span<uint8_t> buffer,
                                                    uint16_t transportSequence, int64_t sendTimeUs,
                                                    std::span<const uint8_t> payloadHeader) {
  return Build(buffer, transportSequence, sendTimeUs, payloadHeader);
}

void SyntheticMediaSource::SetAudioLevel(uint8_t level, bool voiceActivity) {
  config_.audioLevel = std::min<uint8_t>(level, 127);
  config_.voiceActivity = voiceActivity;
}

std::span<uint8_t> SyntheticMediaSource::Build(std::span<uint8_t> buffer,
                                               uint16_t transportSequence, int64_t sendTimeUs,
                                               std::span<const uint8_t> header) {
  if (header.size() > payload_.size()) return {};
  std::uniform_int_distribution<size_t> sizes(config_.minPayloadSize, config_.maxPayloadSize);
  const size_t payloadSize = std::max(sizes(random_), header.size());
  std::copy(header.begin(), header.end(), payload_.begin());
  if (config_.randomPayload) {
    for (size_t i = header.size(); i < payloadSize; i += 4) {
      const uint32_t word = random_();
      for (size_t j = 0; j < 4 && i + j < payloadSize; ++j) {
        payload_[i + j] = static_cast<uint8_t>(word >> (8 * j));
      }
    }
  }

  std::array<uint8_t, rtp::kTransportSequenceNumberSize> transportCc{};
  std::array<uint8_t, rtp::kAbsSendTimeSize> absSendTime{};
  std::array<uint8_t, rtp::kAudioLevelSize> audioLevel{};
  rtp::WriteTransportSequenceNumber(transportCc, transportSequence);
  rtp::WriteAbsSendTime(absSendTime, rtp::AbsSendTimeFromMicros(sendTimeUs));
  rtp::WriteAudioLevel(audioLevel, rtp::AudioLevel{config_.voiceActivity, config_.audioLevel});

  const bool lastOfFrame =
      config_.video && packetIndex_ % config_.packetsPerFrame == config_.packetsPerFrame - 1;
  // RFC 3551 4.1: audio sets the marker on the first packet of a talk spurt.
  const bool marker = config_.video ? lastOfFrame : (packetIndex_ == 0 || markNext_);

  rtp::RtpPacketBuilder builder(buffer);
  builder.SetPayloadType(config_.payloadType)
      .SetMarker(marker)
      .SetSequenceNumber(sequenceNumber_)
      .SetTimestamp(TimestampOf(packetIndex_))
      .SetSsrc(config_.ssrc);
  const auto text = [](const std::string& value) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  };
  if (config_.midId != 0 && !config_.mid.empty())
    builder.AddExtension(config_.midId, text(config_.mid));
  if (config_.ridId != 0 && !config_.rid.empty())
    builder.AddExtension(config_.ridId, text(config_.rid));
  if (config_.transportCcId != 0) builder.AddExtension(config_.transportCcId, transportCc);
  if (config_.absSendTimeId != 0) builder.AddExtension(config_.absSendTimeId, absSendTime);
  if (config_.audioLevelId != 0 && !config_.video) {
    builder.AddExtension(config_.audioLevelId, audioLevel);
  }
  builder.SetPayload(std::span<const uint8_t>(payload_.data(), payloadSize));
  const auto packet = builder.Build();
  if (packet.empty()) return packet;
  ++sequenceNumber_;
  ++packetIndex_;
  markNext_ = false;
  ++produced_;
  return packet;
}

void SyntheticMediaSource::Skip(uint16_t count) {
  sequenceNumber_ = static_cast<uint16_t>(sequenceNumber_ + count);
  packetIndex_ += count;
}

std::optional<int64_t> SyntheticMediaSource::ReadSendTime(std::span<const uint8_t> payload) {
  if (payload.size() < kSendTimeSize) return std::nullopt;
  uint64_t value = 0;
  for (size_t i = 0; i < kSendTimeSize; ++i) value = (value << 8) | payload[i];
  return static_cast<int64_t>(value);
}

}  // namespace myriad::loadtest
