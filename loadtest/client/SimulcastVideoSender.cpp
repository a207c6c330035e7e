#include "loadtest/client/SimulcastVideoSender.h"

#include <algorithm>
#include <array>

#include "loadtest/client/LoadtestPayload.h"

namespace myriad::loadtest {

SimulcastVideoSender::SimulcastVideoSender(WebRtcClient& client,
                                           const WebRtcClient::MediaTrack& published,
                                           Options options)
    : client_(client), options_(std::move(options)), mid_(published.mid) {
  for (const auto& encoding : options_.encodings) {
    const bool announced =
        std::any_of(published.simulcast.begin(), published.simulcast.end(),
                    [&](const auto& stream) { return stream.rid == encoding.rid; });
    if (!announced) continue;
    // Seeds differ per rid so the encodings' payloads differ.
    auto config = client_.SourceConfigFor(
        published, options_.seed + static_cast<uint32_t>(streams_.size()), encoding.rid);
    config.vp8 = true;
    config.width = encoding.width;
    config.height = encoding.height;
    config.keyFrameIntervalFrames = options_.keyFrameIntervalFrames;
    config.framesPerSecond = options_.framesPerSecond;
    config.packetsPerFrame = options_.packetsPerFrame;
    config.minPayloadSize = options_.minPayloadSize;
    config.maxPayloadSize = options_.maxPayloadSize;
    config.randomPayload = options_.randomPayload;
    // RFC 7741 4.2: a random initial PictureID, like libwebrtc's.
    config.firstPictureId = static_cast<uint16_t>(config.firstTimestamp >> 17);
    config.firstTl0PicIdx = static_cast<uint8_t>(config.firstTimestamp >> 9);
    streams_.push_back(Stream{encoding, SyntheticMediaSource(config)});
  }
}

SimulcastVideoSender::~SimulcastVideoSender() {
  if (answeringKeyFrameRequests_) client_.SetKeyFrameRequestHandler(nullptr);
}

void SimulcastVideoSender::AnswerKeyFrameRequests() {
  answeringKeyFrameRequests_ = true;
  client_.SetKeyFrameRequestHandler([this](uint32_t ssrc) { OnKeyFrameRequest(ssrc); });
}

bool SimulcastVideoSender::OnKeyFrameRequest(uint32_t ssrc) {
  const auto index = IndexOfSsrc(ssrc);
  if (!index) return false;
  ++streams_[*index].keyFrameRequests;
  streams_[*index].source.RequestKeyFrame();
  return true;
}

void SimulcastVideoSender::ApplyTierPlan(const WebRtcClient::TierPlan& plan) {
  if (plan.mid != mid_) return;
  if (appliedPlanVersion_ && plan.version <= *appliedPlanVersion_) return;
  appliedPlanVersion_ = plan.version;
  for (auto& stream : streams_) {
    const auto* encoding = plan.Encoding(stream.encoding.rid);
    if (!encoding) continue;
    // An encoder that restarts has no reference picture: it sends a key frame.
    if (encoding->active && !stream.active) stream.source.RequestKeyFrame();
    stream.active = encoding->active;
    if (!encoding->active || encoding->scaleResolutionDownBy < 1 || options_.captureWidth == 0 ||
        options_.captureHeight == 0) {
      continue;
    }
    // What a browser encodes for RTCRtpEncodingParameters'
    // scaleResolutionDownBy (W3C WebRTC): the capture size divided by it.
    const auto scaled = [&](uint16_t size) {
      return static_cast<uint16_t>(std::max(1.0, size / encoding->scaleResolutionDownBy));
    };
    stream.source.SetResolution(scaled(options_.captureWidth), scaled(options_.captureHeight));
  }
}

size_t SimulcastVideoSender::SendFrame(int64_t sendTimeUs) {
  if (options_.followTierPlan) {
    if (const auto* plan = client_.TierPlanFor(mid_)) ApplyTierPlan(*plan);
  }
  size_t sent = 0;
  std::array<uint8_t, 1500> buffer{};
  std::array<uint8_t, LoadtestPayload::kSize> header{};
  for (size_t index = 0; index < streams_.size(); ++index) {
    Stream& stream = streams_[index];
    if (!stream.active) continue;
    LoadtestPayload record;
    record.stream = static_cast<uint8_t>(1 + index);
    record.publisherIndex = options_.publisherIndex;
    record.sendTimeUs = sendTimeUs;
    if (record.Serialize(header) != header.size()) continue;  // a negative time
    for (uint32_t i = 0; i < stream.source.GetConfig().packetsPerFrame; ++i) {
      const auto packet =
          stream.source.NextPacket(buffer, client_.NextTransportSequence(), sendTimeUs, header);
      if (packet.empty()) break;
      if (onSent_) onSent_(index, packet);
      if (client_.SendRtp(packet)) ++sent;
    }
  }
  return sent;
}

std::optional<size_t> SimulcastVideoSender::IndexOfRid(const std::string& rid) const {
  for (size_t i = 0; i < streams_.size(); ++i) {
    if (streams_[i].encoding.rid == rid) return i;
  }
  return std::nullopt;
}

std::optional<size_t> SimulcastVideoSender::IndexOfSsrc(uint32_t ssrc) const {
  for (size_t i = 0; i < streams_.size(); ++i) {
    if (Ssrc(i) == ssrc) return i;
  }
  return std::nullopt;
}

std::optional<size_t> SimulcastVideoSender::EncodingOf(std::span<const uint8_t> payload) {
  const auto record = LoadtestPayload::Parse(SyntheticMediaSource::PayloadHeader(payload, true));
  if (!record || record->stream == LoadtestPayload::kAudioStream) return std::nullopt;
  return record->stream - 1u;
}

}  // namespace myriad::loadtest
