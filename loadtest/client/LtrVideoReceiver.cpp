#include "loadtest/client/LtrVideoReceiver.h"

#include <array>

#include "loadtest/client/SyntheticMediaSource.h"
#include "rtp/GenericNack.h"
#include "rtp/Pli.h"
#include "rtp/RtxPacket.h"

namespace myriad::loadtest {

LtrVideoReceiver::LtrVideoReceiver(boost::asio::io_context& context, WebRtcClient& client,
                                   std::string trackId, Options options)
    : client_(client),
      trackId_(std::move(trackId)),
      options_(std::move(options)),
      decoder_(options_.decoder),
      timer_(context) {}

LtrVideoReceiver::~LtrVideoReceiver() { alive_.reset(); }

int64_t LtrVideoReceiver::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

void LtrVideoReceiver::Start() {
  client_.SetRtpHandler([this](rtp::RtpPacket& packet) { OnRtp(packet); });
  if (running_) return;
  running_ = true;
  Tick();
}

void LtrVideoReceiver::Finish() {
  running_ = false;
  timer_.cancel();
  decoder_.Finish(NowMs());
}

void LtrVideoReceiver::Tick() {
  std::weak_ptr<bool> alive = alive_;
  timer_.expires_after(options_.tick);
  timer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || alive.expired() || !running_) return;
    if (const auto* track = client_.SubscribedTrack(trackId_)) {
      decoder_.OnTimer(NowMs(), actions_);
      Apply(actions_, *track);
    }
    Tick();
  });
}

void LtrVideoReceiver::OnRtp(rtp::RtpPacket& packet) {
  const auto* track = client_.SubscribedTrack(trackId_);
  if (!track || !running_) return;
  std::optional<rtp::RtpPacket> original = packet;
  const bool retransmission = track->rtxSsrc != 0 && packet.Ssrc() == track->rtxSsrc;
  if (retransmission) {
    // Padding-only probes carry no original sequence number.
    if (!rtp::RtxOriginalSequenceNumber(packet)) return;
    original = rtp::RtxToOriginalInPlace(packet, track->payloadType, track->ssrc);
  } else if (packet.Ssrc() != track->ssrc) {
    return;
  }
  if (!original) return;
  const auto record = LtrFramePayload::Parse(
      SyntheticMediaSource::PayloadHeader(original->Payload(), /*vp8=*/true));
  if (!record) return;
  ++counters_.packets;
  if (retransmission) ++counters_.retransmissions;
  if (options_.dropIf && options_.dropIf(*record)) {
    ++counters_.dropped;
    return;
  }
  decoder_.OnPacket({original->SequenceNumber(), *record}, NowMs(), actions_);
  Apply(actions_, *track);
}

void LtrVideoReceiver::Apply(const DependencyDecoder::Actions& actions,
                             const WebRtcClient::MediaTrack& track) {
  std::array<uint8_t, 512> rtcp{};
  if (!actions.nacks.empty()) {
    rtp::GenericNack::Fields fields;
    fields.senderSsrc = client_.RtcpSsrc();
    fields.mediaSsrc = track.ssrc;
    fields.lostSequenceNumbers = actions.nacks;
    // A long list goes out in several packets rather than not at all.
    for (size_t start = 0; start < actions.nacks.size(); start += 64) {
      fields.lostSequenceNumbers =
          std::span<const uint16_t>(actions.nacks)
              .subspan(start, std::min<size_t>(64, actions.nacks.size() - start));
      const size_t length = rtp::GenericNack::Serialize(fields, rtcp);
      if (length > 0) client_.SendRtcp(std::span<const uint8_t>(rtcp.data(), length));
    }
  }
  for (const uint16_t frameId : actions.acknowledgements) {
    if (!options_.acknowledge || track.extensions.dependencyDescriptor == 0) {
      ++counters_.acknowledgementsWithheld;
      continue;
    }
    if (client_.SendLtrAcknowledgement(track, frameId)) acknowledged_.push_back(frameId);
  }
  if (actions.requestKeyFrame) {
    const size_t length = rtp::Pli::Serialize({client_.RtcpSsrc(), track.ssrc}, rtcp);
    if (length > 0) client_.SendRtcp(std::span<const uint8_t>(rtcp.data(), length));
  }
}

}  // namespace myriad::loadtest
