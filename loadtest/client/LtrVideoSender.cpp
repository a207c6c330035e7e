#include "loadtest/client/LtrVideoSender.h"

#include <algorithm>
#include <random>

#include "loadtest/client/LtrFramePayload.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "rtp/DependencyDescriptorHeader.h"
#include "rtp/RtpHeaderExtensions.h"
#include "rtp/RtpPacketBuilder.h"
#include "rtp/Vp8PayloadDescriptor.h"

namespace myriad::loadtest {
namespace {

constexpr std::array<uint8_t, 3> kVp8StartCode{0x9D, 0x01, 0x2A};
constexpr uint32_t kVideoClockRate = 90000;

void WriteLittleEndian(uint8_t* out, uint32_t value, size_t size) {
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(value >> (8 * i));
}

}  // namespace

LtrVideoSender::LtrVideoSender(WebRtcClient& client, const WebRtcClient::MediaTrack& published,
                               Options options)
    : client_(client),
      options_(options),
      encoder_(options.encoder),
      ssrc_(published.ssrc),
      payloadType_(published.payloadType),
      midId_(published.extensions.mid),
      mid_(published.mid),
      transportCcId_(published.extensions.transportCc),
      dependencyDescriptorId_(published.extensions.dependencyDescriptor) {
  options_.framesPerSecond = std::max<uint32_t>(options_.framesPerSecond, 1);
  options_.deltaFramePackets =
      std::clamp<uint16_t>(options_.deltaFramePackets, 1, LtrFramePayload::kMaxPacketsPerFrame);
  options_.keyFramePackets =
      std::clamp<uint16_t>(options_.keyFramePackets, 1, LtrFramePayload::kMaxPacketsPerFrame);
  // The VP8 descriptor, the key frame header and the record must fit.
  options_.payloadSize =
      std::clamp<size_t>(options_.payloadSize,
                         SyntheticMediaSource::kVp8DescriptorSize +
                             SyntheticMediaSource::kVp8KeyFrameHeaderSize + LtrFramePayload::kSize,
                         payload_.size());
  // RFC 3550 5.1: random initial sequence number and timestamp.
  std::mt19937 random(options_.seed ^ ssrc_);
  sequenceNumber_ = static_cast<uint16_t>(random());
  firstTimestamp_ = random();
  client_.SetKeyFrameRequestHandler([this](uint32_t mediaSsrc) { OnKeyFrameRequest(mediaSsrc); });
  client_.SetLtrMessageHandler(
      [this](const rtp::Rpsi::LtrMessage& message) { OnLtrMessage(message); });
}

void LtrVideoSender::OnKeyFrameRequest(uint32_t mediaSsrc) {
  if (mediaSsrc != ssrc_) return;
  feedback_.push_back({Feedback::Kind::kKeyFrameRequest, 0,
                       static_cast<uint16_t>(options_.encoder.firstFrameId + counters_.frames)});
  encoder_.OnKeyFrameRequest();
}

void LtrVideoSender::OnLtrMessage(const rtp::Rpsi::LtrMessage& message) {
  if (message.mediaSsrc != ssrc_) return;
  const uint16_t next = static_cast<uint16_t>(options_.encoder.firstFrameId + counters_.frames);
  if (message.kind == rtp::Rpsi::LtrKind::kRecoverFrom) {
    feedback_.push_back({Feedback::Kind::kRecoverFrom, message.frameId, next});
    encoder_.OnRecoverFrom(message.frameId);
  } else {
    feedback_.push_back({Feedback::Kind::kAcknowledged, message.frameId, next});
    encoder_.OnAcknowledged(message.frameId);
  }
}

size_t LtrVideoSender::WritePayload(const LtrEncoderModel::Frame& frame, uint16_t index,
                                    uint16_t count, int64_t sendTimeUs) {
  const bool key = frame.type == LtrEncoderModel::FrameType::kKey;
  rtp::Vp8PayloadDescriptor::Fields fields;
  // RFC 7741 4.2: S and PID 0 mark the start of the frame (partition 0).
  fields.startOfPartition = index == 0;
  fields.hasPictureId = true;
  fields.pictureIdIs15Bit = true;
  fields.pictureId = pictureId_;
  size_t offset = rtp::Vp8PayloadDescriptor::Serialize(fields, payload_);
  if (index == 0) {
    // RFC 6386 9.1 frame tag, little endian: P (0 = key frame), version 0,
    // show_frame 1, first_part_size (what follows in this packet).
    const size_t chunk =
        key ? SyntheticMediaSource::kVp8KeyFrameHeaderSize : SyntheticMediaSource::kVp8FrameTagSize;
    const auto firstPartitionSize = static_cast<uint32_t>(options_.payloadSize - offset - chunk);
    const uint32_t frameTag = (key ? 0U : 1U) | (1U << 4) | (firstPartitionSize << 5);
    WriteLittleEndian(payload_.data() + offset, frameTag, SyntheticMediaSource::kVp8FrameTagSize);
    if (key) {
      // Start code, then 14-bit width and height with scale 0.
      std::copy(kVp8StartCode.begin(), kVp8StartCode.end(), payload_.begin() + offset + 3);
      WriteLittleEndian(payload_.data() + offset + 6, options_.width, 2);
      WriteLittleEndian(payload_.data() + offset + 8, options_.height, 2);
    }
    offset += chunk;
  }
  LtrFramePayload record;
  record.type = frame.type;
  record.longTermReference = frame.longTermReference;
  record.frameId = frame.frameId;
  record.referenceId = frame.referenceId;
  record.packetIndex = index;
  record.packetCount = count;
  record.sendTimeUs = std::max<int64_t>(sendTimeUs, 0);
  offset += record.Serialize(std::span<uint8_t>(payload_).subspan(offset));
  std::fill(payload_.begin() + static_cast<ptrdiff_t>(offset),
            payload_.begin() + static_cast<ptrdiff_t>(options_.payloadSize), uint8_t{0});
  return options_.payloadSize;
}

LtrEncoderModel::Frame LtrVideoSender::SendFrame(int64_t sendTimeUs) {
  const LtrEncoderModel::Frame frame = encoder_.NextFrame();
  const bool key = frame.type == LtrEncoderModel::FrameType::kKey;
  const uint16_t count = key ? options_.keyFramePackets : options_.deltaFramePackets;
  const auto timestamp = static_cast<uint32_t>(
      firstTimestamp_ + counters_.frames * kVideoClockRate / options_.framesPerSecond);
  const std::span<const uint8_t> mid(reinterpret_cast<const uint8_t*>(mid_.data()), mid_.size());
  for (uint16_t index = 0; index < count; ++index) {
    const size_t payloadSize = WritePayload(frame, index, count, sendTimeUs);
    std::array<uint8_t, rtp::kTransportSequenceNumberSize> transportCc{};
    rtp::WriteTransportSequenceNumber(transportCc, client_.NextTransportSequence());
    std::array<uint8_t, rtp::DependencyDescriptorHeader::kMandatorySize> descriptor{};
    rtp::DependencyDescriptorHeader::Serialize({.startOfFrame = index == 0,
                                                .endOfFrame = index + 1 == count,
                                                .templateId = 0,
                                                .frameNumber = frame.frameId},
                                               descriptor);
    rtp::RtpPacketBuilder builder(packet_);
    builder.SetPayloadType(payloadType_)
        .SetMarker(index + 1 == count)
        .SetSequenceNumber(sequenceNumber_)
        .SetTimestamp(timestamp)
        .SetSsrc(ssrc_)
        .SetPayload(std::span<const uint8_t>(payload_.data(), payloadSize));
    if (midId_ != 0 && !mid_.empty()) builder.AddExtension(midId_, mid);
    if (transportCcId_ != 0) builder.AddExtension(transportCcId_, transportCc);
    if (dependencyDescriptorId_ != 0) builder.AddExtension(dependencyDescriptorId_, descriptor);
    const auto packet = builder.Build();
    ++sequenceNumber_;
    if (packet.empty() || !client_.SendRtp(packet)) {
      ++counters_.sendFailures;
      continue;
    }
    ++counters_.packets;
    counters_.bytes += packet.size();
  }
  pictureId_ = (pictureId_ + 1) & rtp::Vp8PayloadDescriptor::kMaxPictureId15Bit;
  ++counters_.frames;
  return frame;
}

}  // namespace myriad::loadtest
