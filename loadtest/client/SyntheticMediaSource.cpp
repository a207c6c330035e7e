#include "loadtest/client/SyntheticMediaSource.h"

#include <algorithm>

#include "rtp/RtpHeaderExtensions.h"
#include "rtp/RtpPacketBuilder.h"
#include "rtp/Vp8PayloadDescriptor.h"

namespace myriad::loadtest {
namespace {

constexpr uint16_t kMaxVp8Dimension = 0x3FFF;
// RFC 6386 9.1: the frame tag's first_part_size has 19 bits.
constexpr uint32_t kMaxFirstPartitionSize = (1u << 19) - 1;
constexpr std::array<uint8_t, 3> kVp8StartCode{0x9D, 0x01, 0x2A};

void WriteLittleEndian(uint8_t* out, uint32_t value, size_t size) {
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(value >> (8 * i));
}

}  // namespace

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
  // RFC 6386 9.1: 14-bit dimensions; a key frame always codes a picture.
  config_.width = std::clamp<uint16_t>(config_.width, 1, kMaxVp8Dimension);
  config_.height = std::clamp<uint16_t>(config_.height, 1, kMaxVp8Dimension);
  nextWidth_ = config_.width;
  nextHeight_ = config_.height;
  pictureId_ = config_.firstPictureId & rtp::Vp8PayloadDescriptor::kMaxPictureId15Bit;
  tl0PicIdx_ = config_.firstTl0PicIdx;
}

uint32_t SyntheticMediaSource::CurrentTimestamp() const {
  uint64_t ticks;
  if (config_.video) {
    // All packets of one frame share its capture time (RFC 3550 5.1).
    ticks = frameIndex_ * config_.clockRate / config_.framesPerSecond;
  } else {
    ticks = packetIndex_ * config_.clockRate * config_.packetTimeMs / 1000;
  }
  return static_cast<uint32_t>(config_.firstTimestamp + ticks);
}

void SyntheticMediaSource::SetPacketsPerFrame(uint32_t packets) {
  config_.packetsPerFrame = std::max<uint32_t>(packets, 1);
}

void SyntheticMediaSource::BeginFrameIfDue() {
  if (!config_.video || packetInFrame_ != 0 || frameBegun_) return;
  // A packet that did not fit is built again: the frame begins once.
  framePackets_ = config_.packetsPerFrame;
  StartVp8Frame();
  frameBegun_ = true;
}

void SyntheticMediaSource::AdvancePacket() {
  ++packetIndex_;
  if (!config_.video) return;
  BeginFrameIfDue();  // a skipped packet may be a frame's first
  if (++packetInFrame_ < framePackets_) return;
  packetInFrame_ = 0;
  frameBegun_ = false;
  ++frameIndex_;
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

void SyntheticMediaSource::SetResolution(uint16_t width, uint16_t height) {
  width = std::clamp<uint16_t>(width, 1, kMaxVp8Dimension);
  height = std::clamp<uint16_t>(height, 1, kMaxVp8Dimension);
  if (width == nextWidth_ && height == nextHeight_) return;
  nextWidth_ = width;
  nextHeight_ = height;
  RequestKeyFrame();
}

void SyntheticMediaSource::SetAudioLevel(uint8_t level, bool voiceActivity) {
  config_.audioLevel = std::min<uint8_t>(level, 127);
  config_.voiceActivity = voiceActivity;
}

bool SyntheticMediaSource::NextFrameIsKeyFrame() const {
  if (!Vp8()) return false;
  if (frameBegun_) return frameIsKey_;
  const uint32_t framesSinceKey = framesSinceKey_ + (frameIndex_ != 0 ? 1 : 0);
  const bool periodic =
      config_.keyFrameIntervalFrames != 0 && framesSinceKey >= config_.keyFrameIntervalFrames;
  return keyFramesStarted_ == 0 || keyFrameRequested_ || periodic;
}

void SyntheticMediaSource::StartVp8Frame() {
  if (!Vp8()) return;
  frameIsKey_ = NextFrameIsKeyFrame();
  if (frameIndex_ != 0) {
    pictureId_ = (pictureId_ + 1) & rtp::Vp8PayloadDescriptor::kMaxPictureId15Bit;
    ++tl0PicIdx_;  // every frame is a base-layer (TID 0) frame
    ++framesSinceKey_;
  }
  if (frameIsKey_) {
    // A new size takes effect with the key frame that codes it.
    config_.width = nextWidth_;
    config_.height = nextHeight_;
    framesSinceKey_ = 0;
    keyFrameRequested_ = false;
    ++keyFramesStarted_;
  }
}

size_t SyntheticMediaSource::Vp8PrefixSize() const {
  if (!Vp8()) return 0;
  if (packetInFrame_ != 0) return kVp8DescriptorSize;
  return kVp8DescriptorSize + (frameIsKey_ ? kVp8KeyFrameHeaderSize : kVp8FrameTagSize);
}

void SyntheticMediaSource::WriteVp8Prefix(size_t payloadSize) {
  const bool firstOfFrame = packetInFrame_ == 0;
  rtp::Vp8PayloadDescriptor::Fields fields;
  // RFC 7741 4.2: S and PID 0 mark the start of the frame (partition 0).
  fields.startOfPartition = firstOfFrame;
  fields.hasPictureId = true;
  fields.pictureIdIs15Bit = true;
  fields.pictureId = pictureId_;
  // L comes with T (RFC 7741 4.2); TID 0: no temporal scalability.
  fields.hasTl0PicIdx = true;
  fields.tl0PicIdx = tl0PicIdx_;
  fields.hasTid = true;
  rtp::Vp8PayloadDescriptor::Serialize(fields,
                                       std::span<uint8_t>(payload_).first(kVp8DescriptorSize));
  if (!firstOfFrame) return;
  // RFC 6386 9.1 frame tag, little endian: P (0 = key frame), version 0,
  // show_frame 1, first_part_size (here what follows in this packet).
  const size_t chunkSize = frameIsKey_ ? kVp8KeyFrameHeaderSize : kVp8FrameTagSize;
  const uint32_t firstPartitionSize = static_cast<uint32_t>(
      std::min<size_t>(payloadSize - kVp8DescriptorSize - chunkSize, kMaxFirstPartitionSize));
  const uint32_t frameTag = (frameIsKey_ ? 0u : 1u) | (1u << 4) | (firstPartitionSize << 5);
  uint8_t* chunk = payload_.data() + kVp8DescriptorSize;
  WriteLittleEndian(chunk, frameTag, kVp8FrameTagSize);
  if (!frameIsKey_) return;
  // Start code, then 14-bit width and height with scale 0 (no upscaling).
  std::copy(kVp8StartCode.begin(), kVp8StartCode.end(), chunk + 3);
  WriteLittleEndian(chunk + 6, config_.width, 2);
  WriteLittleEndian(chunk + 8, config_.height, 2);
}

std::span<uint8_t> SyntheticMediaSource::Build(std::span<uint8_t> buffer,
                                               uint16_t transportSequence, int64_t sendTimeUs,
                                               std::span<const uint8_t> header) {
  BeginFrameIfDue();
  const size_t prefixSize = Vp8PrefixSize();
  if (prefixSize + header.size() > payload_.size()) return {};
  std::uniform_int_distribution<size_t> sizes(config_.minPayloadSize, config_.maxPayloadSize);
  const size_t payloadSize = std::max(sizes(random_), prefixSize + header.size());
  if (prefixSize != 0) WriteVp8Prefix(payloadSize);
  std::copy(header.begin(), header.end(), payload_.begin() + static_cast<ptrdiff_t>(prefixSize));
  const size_t noiseStart = prefixSize + header.size();
  if (config_.randomPayload) {
    for (size_t i = noiseStart; i < payloadSize; i += 4) {
      const uint32_t word = random_();
      for (size_t j = 0; j < 4 && i + j < payloadSize; ++j) {
        payload_[i + j] = static_cast<uint8_t>(word >> (8 * j));
      }
    }
  } else if (prefixSize != 0) {
    // Headers move with the frame type: no stale key frame bytes as filler.
    std::fill(payload_.begin() + static_cast<ptrdiff_t>(noiseStart),
              payload_.begin() + static_cast<ptrdiff_t>(payloadSize), uint8_t{0});
  }

  std::array<uint8_t, rtp::kTransportSequenceNumberSize> transportCc{};
  std::array<uint8_t, rtp::kAbsSendTimeSize> absSendTime{};
  std::array<uint8_t, rtp::kAudioLevelSize> audioLevel{};
  rtp::WriteTransportSequenceNumber(transportCc, transportSequence);
  rtp::WriteAbsSendTime(absSendTime, rtp::AbsSendTimeFromMicros(sendTimeUs));
  rtp::WriteAudioLevel(audioLevel, rtp::AudioLevel{config_.voiceActivity, config_.audioLevel});

  const bool lastOfFrame = config_.video && packetInFrame_ + 1 == framePackets_;
  // RFC 3551 4.1: audio sets the marker on the first packet of a talk spurt.
  const bool marker = config_.video ? lastOfFrame : (packetIndex_ == 0 || markNext_);

  rtp::RtpPacketBuilder builder(buffer);
  builder.SetPayloadType(config_.payloadType)
      .SetMarker(marker)
      .SetSequenceNumber(sequenceNumber_)
      .SetTimestamp(CurrentTimestamp())
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
  AdvancePacket();
  markNext_ = false;
  ++produced_;
  return packet;
}

void SyntheticMediaSource::Skip(uint16_t count) {
  // Frames that start in the gap are lost, not missing: they still move
  // the picture ids and the key frame schedule on.
  for (uint16_t i = 0; i < count; ++i) AdvancePacket();
  sequenceNumber_ = static_cast<uint16_t>(sequenceNumber_ + count);
}

std::optional<int64_t> SyntheticMediaSource::ReadSendTime(std::span<const uint8_t> payload) {
  if (payload.size() < kSendTimeSize) return std::nullopt;
  uint64_t value = 0;
  for (size_t i = 0; i < kSendTimeSize; ++i) value = (value << 8) | payload[i];
  return static_cast<int64_t>(value);
}

std::optional<size_t> SyntheticMediaSource::PayloadHeaderOffset(std::span<const uint8_t> payload,
                                                                bool vp8) {
  if (!vp8) return 0;
  // Parse needs a mutable view; a copy of the leading bytes keeps the
  // caller's payload const.
  std::array<uint8_t, kVp8DescriptorSize + 1> head{};
  const size_t copied = std::min(payload.size(), head.size());
  std::copy_n(payload.begin(), copied, head.begin());
  const auto descriptor = rtp::Vp8PayloadDescriptor::Parse(std::span<uint8_t>(head.data(), copied));
  if (!descriptor) return std::nullopt;
  size_t offset = descriptor->DescriptorSize();
  if (descriptor->StartOfPartition() && descriptor->PartitionIndex() == 0) {
    offset += descriptor->IsKeyFrame() ? kVp8KeyFrameHeaderSize : kVp8FrameTagSize;
  }
  if (offset > payload.size()) return std::nullopt;
  return offset;
}

std::span<const uint8_t> SyntheticMediaSource::PayloadHeader(std::span<const uint8_t> payload,
                                                             bool vp8) {
  const auto offset = PayloadHeaderOffset(payload, vp8);
  return offset ? payload.subspan(*offset) : std::span<const uint8_t>();
}

}  // namespace myriad::loadtest
