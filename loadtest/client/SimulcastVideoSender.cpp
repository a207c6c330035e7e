#include "loadtest/client/SimulcastVideoSender.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

#include "loadtest/client/LoadtestPayload.h"

namespace myriad::loadtest {

SimulcastVideoSender::SimulcastVideoSender(WebRtcClient& client,
                                           const WebRtcClient::MediaTrack& published,
                                           Options options)
    : client_(client), options_(std::move(options)), mid_(published.mid) {
  if (options_.randomPayload) {
    // Filler after the record: seeded, so runs repeat.
    std::mt19937 random(options_.seed ^ 0x51CA57u);
    for (auto& byte : sizedPayload_) byte = static_cast<uint8_t>(random());
  }
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
    if (encoding.bitrateBps != 0) {
      // The payload is the VP8 prefix and the header we size (the source's
      // own size range must not add to it); SendSizedFrame packetises.
      config.minPayloadSize = SyntheticMediaSource::kSendTimeSize;
      config.maxPayloadSize = SyntheticMediaSource::kSendTimeSize;
    }
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
    stream.planMaxBitrateBps = encoding->maxBitrate;
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
    if (stream.encoding.bitrateBps != 0) {
      sent += SendSizedFrame(index, sendTimeUs, buffer);
      continue;
    }
    LoadtestPayload record;
    record.stream = static_cast<uint8_t>(1 + index);
    record.publisherIndex = options_.publisherIndex;
    record.sendTimeUs = sendTimeUs;
    if (record.Serialize(header) != header.size()) continue;  // a negative time
    for (uint32_t i = 0; i < stream.source.GetConfig().packetsPerFrame; ++i) {
      const auto packet =
          stream.source.NextPacket(buffer, client_.NextTransportSequence(), sendTimeUs, header);
      if (packet.empty()) break;
      if (Send(index, packet)) ++sent;
    }
  }
  return sent;
}

size_t SimulcastVideoSender::SendSizedFrame(size_t index, int64_t sendTimeUs,
                                            std::span<uint8_t> buffer) {
  Stream& stream = streams_[index];
  LoadtestPayload record;
  record.stream = static_cast<uint8_t>(1 + index);
  record.publisherIndex = options_.publisherIndex;
  record.sendTimeUs = sendTimeUs;
  if (record.Serialize(sizedPayload_) != LoadtestPayload::kSize) return 0;  // a negative time
  const auto& config = stream.source.GetConfig();
  const int64_t rateBps = BitrateBps(index);
  const auto share = static_cast<int64_t>(
      std::llround(static_cast<double>(rateBps) / 8.0 / config.framesPerSecond));
  // Debts and savings are paid back gradually, as an encoder's rate control
  // does after a key frame: the next frames shrink, none is starved.
  const int64_t payback = stream.carryBytes / kCarryFrames;
  int64_t allowance = share + payback;
  if (stream.source.NextFrameIsKeyFrame()) {
    allowance = static_cast<int64_t>(std::llround(std::max(1.0, options_.keyFrameScale) *
                                                  static_cast<double>(share))) +
                payback;
  }
  const auto limit = static_cast<int64_t>(SizedPayloadLimit());
  // As a browser's packetiser: as few full-size packets as the frame needs
  // at the current rate (a 400 kbit/s frame is two packets, not the dozen a
  // 2.5 Mbit/s key frame takes), so headers cost what they cost a browser.
  const auto packets = static_cast<uint32_t>(
      std::max<int64_t>(1, (allowance + limit + static_cast<int64_t>(stream.overheadBytes) - 1) /
                               (limit + static_cast<int64_t>(stream.overheadBytes))));
  if (stream.source.AtFrameStart()) stream.source.SetPacketsPerFrame(packets);
  int64_t frameBytes = 0;
  size_t sent = 0;
  for (uint32_t i = 0; i < packets; ++i) {
    const int64_t target = (allowance - frameBytes) / static_cast<int64_t>(packets - i);
    const auto headerSize = static_cast<size_t>(
        std::clamp<int64_t>(target - static_cast<int64_t>(stream.overheadBytes),
                            static_cast<int64_t>(LoadtestPayload::kSize), limit));
    const auto packet =
        stream.source.NextPacket(buffer, client_.NextTransportSequence(), sendTimeUs,
                                 std::span<const uint8_t>(sizedPayload_).first(headerSize));
    if (packet.empty()) break;
    stream.overheadBytes = packet.size() - headerSize;
    frameBytes += static_cast<int64_t>(packet.size());
    if (Send(index, packet)) ++sent;
    if (stream.source.AtFrameStart()) break;  // the frame is complete
  }
  // Bounded: a second's worth of debt at most (a cap far below what a
  // packet needs is not owed forever), a frame's worth of savings.
  stream.carryBytes =
      std::clamp<int64_t>(stream.carryBytes + share - frameBytes, -rateBps / 8, share);
  return sent;
}

bool SimulcastVideoSender::Send(size_t index, std::span<const uint8_t> packet) {
  if (onSent_) onSent_(index, packet);
  return client_.SendRtp(packet);
}

size_t SimulcastVideoSender::SizedPayloadLimit() const {
  return std::clamp(options_.maxPayloadSize, LoadtestPayload::kSize, kMaxSizedPayload);
}

uint32_t SimulcastVideoSender::BitrateBps(size_t index) const {
  const Stream& stream = streams_[index];
  const uint64_t configured = stream.encoding.bitrateBps;
  if (configured == 0 || stream.planMaxBitrateBps == 0) return static_cast<uint32_t>(configured);
  return static_cast<uint32_t>(std::min(configured, stream.planMaxBitrateBps));
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
