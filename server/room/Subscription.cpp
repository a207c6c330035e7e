#include "server/room/Subscription.h"

#include <algorithm>
#include <cstring>

#include "rtp/RtpHeaderExtensions.h"
#include "rtp/RtpPacketBuilder.h"
#include "rtp/RtxPacket.h"
#include "rtp/Vp8PayloadDescriptor.h"
#include "server/Logging.h"
#include "server/Metrics.h"
#include "server/room/DownlinkController.h"
#include "server/room/Participant.h"
#include "server/room/Publication.h"

namespace myriad::server::room {

Subscription::Subscription(Participant& subscriber, Publication* publication,
                           Description description, uint64_t seed)
    : subscriber_(subscriber),
      publication_(publication),
      description_(std::move(description)),
      rewriter_(seed),
      retransmissionGate_(publication_ != nullptr && publication_->IsVideo()),
      rtxSequence_(static_cast<uint16_t>(seed >> 32)) {
  if (publication_ && publication_->IsSimulcast() && !IsAudioSlot()) {
    // The layer selector starts the stream at the first key frame of the
    // wanted tier (ForwardSimulcast); until then nothing is forwarded.
    simulcast_ = std::make_unique<SimulcastState>(description_.selectorOptions);
    simulcast_->vp8 = publication_->IsVp8();
    sourceId_ = 0;
  } else {
    rewriter_.SwitchSource(sourceId_, 0);
  }
  if (publication_) {
    if (IsAudioSlot()) {
      description_.extensionMap =
          MapExtensions(publication_->Describe().extensions, description_.subscriberExtensions);
    }
    publication_->AddSubscriber(*this);
  }
}

rtp::ExtensionIdMap Subscription::MapExtensions(
    const std::vector<signaling::SdpExtension>& publisher,
    const std::vector<signaling::SdpExtension>& subscriber) {
  rtp::ExtensionIdMap map{};
  for (const auto& from : publisher) {
    if (from.uri == rtp::kMidExtensionUri || from.uri == rtp::kRtpStreamIdExtensionUri ||
        from.uri == rtp::kRepairedRtpStreamIdExtensionUri) {
      continue;
    }
    for (const auto& to : subscriber) {
      if (to.uri == from.uri) map[from.id] = to.id;
    }
  }
  return map;
}

void Subscription::SwitchSource(Publication* next, Clock::time_point now) {
  if (next == publication_) return;
  if (publication_) publication_->RemoveSubscriber(*this);
  publication_ = next;
  if (!publication_) return;
  description_.extensionMap =
      MapExtensions(publication_->Describe().extensions, description_.subscriberExtensions);
  // Advance the timestamp by the wall time since our last packet, in whole
  // 20 ms frames of the clock (a receiver treats the gap as silence), and at
  // least one frame so timestamps never repeat.
  const uint32_t frame = description_.clockRate / 50;
  uint32_t delta = frame;
  if (sentAny_) {
    const auto elapsedMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - lastForwardedAt_).count();
    const auto frames = std::max<int64_t>(1, (elapsedMs + 10) / 20);
    constexpr int64_t kMaxFrames = int64_t{50} * 60;  // a minute: beyond that, any gap will do
    delta = static_cast<uint32_t>(std::min<int64_t>(frames, kMaxFrames)) * frame;
  }
  rewriter_.SwitchSource(++sourceId_, delta);
  publication_->AddSubscriber(*this);
}

Subscription::~Subscription() {
  CountForwardedTier(-1);
  if (publication_) publication_->RemoveSubscriber(*this);
}

void Subscription::OnPublicationGone() {
  CountForwardedTier(-1);
  publication_ = nullptr;
}

int Subscription::VideoLevel() const {
  return description_.videoLevel >= 0 ? description_.videoLevel
                                      : simulcast::SimulcastLadder::kMaxLevels - 1;
}

void Subscription::SetVideoLevel(int level, int64_t nowMs) {
  description_.videoLevel = level;
  if (publication_ && simulcast_) {
    simulcast_->demandLevel = DemandLevel();
    publication_->SetDemand(*this, simulcast_->demandLevel, nowMs);
  }
}

int Subscription::PlannableVideoLevel() const {
  const auto* planner = publication_ ? publication_->Planner() : nullptr;
  return planner ? std::min(VideoLevel(), planner->SourceLevel()) : VideoLevel();
}

int Subscription::DemandLevel() const {
  const int layout = VideoLevel();
  if (!simulcast_) return layout;
  const auto cap = simulcast_->levelCap.Cap();
  return cap ? std::min(*cap, layout) : layout;
}

std::optional<int> Subscription::OnAllocation(uint32_t budgetBps, bool limitedByBandwidth,
                                              int64_t nowMs) {
  if (!simulcast_ || !publication_ || !publication_->Planner()) return std::nullopt;
  simulcast_->levelCap.Update(publication_->Planner()->Ladder(),
                              {PlannableVideoLevel(), budgetBps, limitedByBandwidth}, nowMs);
  const int demand = DemandLevel();
  if (demand != simulcast_->demandLevel) {
    // The first round only records what the subscription asked for on joining.
    if (simulcast_->demandLevel >= 0) {
      Metrics::Instance()
          .BandwidthSteps(demand < simulcast_->demandLevel ? BandwidthStep::kDemandDown
                                                           : BandwidthStep::kDemandUp)
          .Increment();
    }
    simulcast_->demandLevel = demand;
    publication_->SetDemand(*this, demand, nowMs);
  }
  return simulcast_->levelCap.Cap();
}

void Subscription::SetTierPlan(uint32_t availableTiers, int wantedTier) {
  if (!simulcast_) return;
  // A layout that grows raises the rate to probe for, and one that shrinks frees budget for the
  // others: both are worth an allocation round now rather than up to a round interval later.
  if (wantedTier != planWantedTier_) {
    if (DownlinkController* downlink = subscriber_.Downlink()) downlink->AllocateSoon();
  }
  planWantedTier_ = wantedTier;
  simulcast_->selector.SetAvailableTiers(availableTiers);
  simulcast_->selector.SetWantedTier(pausedForBandwidth_ ? simulcast::LayerSelector::kNoTier
                                                         : wantedTier);
}

int Subscription::TierCount() const {
  if (!publication_ || !publication_->IsVideo() || IsAudioSlot()) return 0;
  return simulcast_ ? static_cast<int>(publication_->StreamCount()) : 1;
}

int Subscription::WantedTier() const {
  if (TierCount() == 0) return simulcast::LayerSelector::kNoTier;
  return simulcast_ ? planWantedTier_ : 0;
}

int Subscription::TargetTier() const {
  if (TierCount() == 0 || pausedForBandwidth_) return simulcast::LayerSelector::kNoTier;
  return simulcast_ ? simulcast_->selector.TargetTier() : 0;
}

void Subscription::SetBandwidthLimit(int maxTier, bool paused, Clock::time_point now) {
  const bool resumed = pausedForBandwidth_ && !paused;
  pausedForBandwidth_ = paused;
  if (simulcast_) {
    simulcast_->selector.SetMaxTier(std::max(maxTier, 0));
    // Paused: the selector stops forwarding at once; resumed: it asks for
    // a key frame of the target and starts there (LayerSelector).
    simulcast_->selector.SetWantedTier(paused ? simulcast::LayerSelector::kNoTier
                                              : planWantedTier_);
  } else if (resumed) {
    resumeSegmentPending_ = true;
    RequestKeyFrame(now);
  }
}

void Subscription::OnSourceUnmuted(Clock::time_point now) {
  if (pausedForBandwidth_) return;  // its resume does the same later
  if (simulcast_) {
    simulcast_->selector.SetWantedTier(simulcast::LayerSelector::kNoTier);
    simulcast_->selector.SetWantedTier(planWantedTier_);
    return;
  }
  resumeSegmentPending_ = true;
  if (publication_ != nullptr && publication_->IsVideo()) RequestKeyFrame(now);
}

bool Subscription::SendPadding(uint8_t paddingBytes, int probeClusterId, Clock::time_point now) {
  if (description_.rtxSsrc == 0 || description_.rtxPayloadType == 0 ||
      description_.transportCcId == 0 || paddingBytes == 0) {
    return false;
  }
  std::span<uint8_t> buffer = subscriber_.SendBuffer();
  const uint16_t transportSequence = subscriber_.NextTransportSequence();
  std::array<uint8_t, 2> sequenceValue{};
  rtp::WriteTransportSequenceNumber(sequenceValue, transportSequence);
  rtp::RtpPacketBuilder builder(buffer.first(buffer.size() - subscriber_.TrailerRoom()));
  builder.SetPayloadType(description_.rtxPayloadType)
      .SetSsrc(description_.rtxSsrc)
      .SetSequenceNumber(rtxSequence_++)
      .SetTimestamp(lastTimestamp_)
      .AddExtension(description_.transportCcId, sequenceValue)
      .SetPaddingSize(paddingBytes);
  const auto packet = builder.Build();
  if (packet.empty() || !subscriber_.SendRtp(buffer, packet.size())) return false;
  subscriber_.OnPacketSent(transportSequence, packet.size(), probeClusterId, now);
  Metrics::Instance().CountOut(PacketKind::kPadding, packet.size());
  return true;
}

bool Subscription::StepDown() { return simulcast_ && simulcast_->selector.StepDown(); }
bool Subscription::StepUp() { return simulcast_ && simulcast_->selector.StepUp(); }

int Subscription::CurrentTier() const {
  return simulcast_ ? simulcast_->selector.CurrentTier() : -1;
}

void Subscription::CountForwardedTier(int tier) {
  if (!simulcast_ || simulcast_->forwardedTier == tier) return;
  auto& metrics = Metrics::Instance();
  if (simulcast_->forwardedTier >= 0) {
    metrics.SimulcastSubscribers(simulcast_->forwardedTier).Decrement();
  }
  if (tier >= 0) metrics.SimulcastSubscribers(tier).Increment();
  simulcast_->forwardedTier = tier;
}

void Subscription::OnTick(Clock::time_point now) {
  if (!simulcast_ || !publication_) return;
  const auto nowMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const auto tier = simulcast_->selector.KeyFrameRequest(nowMs);
  if (!tier) return;
  const int stream = publication_->StreamOfTier(*tier);
  if (stream < 0) return;
  Metrics::Instance().simulcast_switch_keyframe_requests().Increment();
  static const auto logger = Logging::Get("simulcast");
  logger->debug("{}: key frame of tier {} (stream {}) requested for a switch", subscriber_.Id(),
                *tier, stream);
  publication_->RequestKeyFrame(static_cast<size_t>(stream), now);
}

void Subscription::ForwardSimulcast(const rtp::RtpPacket& packet, size_t stream, bool keyFrameStart,
                                    Clock::time_point now) {
  auto& state = *simulcast_;
  // The selector's tier index is the stream's position (Publication).
  const int tier = static_cast<int>(stream);
  const auto nowMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const int previousTier = state.selector.CurrentTier();
  const auto decision = state.selector.OnPacket(tier, keyFrameStart, nowMs);
  if (!decision.forward) {
    if (state.selector.CurrentTier() == simulcast::LayerSelector::kNoTier) CountForwardedTier(-1);
    return;
  }
  if (decision.switched) {
    // A new segment of the outgoing stream: the low bits name the stream, the
    // rest counts switches, so NACKs of an earlier segment find their packet.
    sourceId_ = (((sourceId_ >> 3) + 1) << 3) | static_cast<uint32_t>(stream);
    rewriter_.SwitchSource(sourceId_, decision.timestampDelta);
    state.pictureIds.SwitchSource(sourceId_);
    auto& metrics = Metrics::Instance();
    if (previousTier == simulcast::LayerSelector::kNoTier) {
      metrics.SimulcastSwitches(TierSwitch::kStart).Increment();
    } else {
      metrics.SimulcastSwitches(tier > previousTier ? TierSwitch::kUp : TierSwitch::kDown)
          .Increment();
    }
    CountForwardedTier(tier);
    // Its long-term reference acknowledgements now count for this stream.
    if (publication_->UsesLtr()) publication_->SetLtrStream(*this, tier);
  }
  // A forwarded packet is of the stream the current segment carries.
  ForwardRtp(packet, now);
}

void Subscription::ForwardRtp(const rtp::RtpPacket& packet, Clock::time_point now) {
  // A plain video track paused for bandwidth (a simulcast one is stopped
  // by its layer selector before it gets here).
  if (pausedForBandwidth_) return;
  if (resumeSegmentPending_) {
    // Resumed: a new segment right after the last packet sent, so the
    // receiver sees no sequence gap to NACK; the timestamp moves on by the
    // time paused (LayerSelector::TimestampDeltaFor, 90 kHz video).
    resumeSegmentPending_ = false;
    const auto elapsedMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - lastForwardedAt_).count();
    rewriter_.SwitchSource(++sourceId_,
                           simulcast::LayerSelector::TimestampDeltaFor(sentAny_ ? elapsedMs : 0));
  }
  const auto header = rewriter_.Rewrite(packet.SequenceNumber(), packet.Timestamp());
  if (!header) return;  // older than where this subscription started
  if (Send(packet.Data(), false, *header, sourceId_, now)) {
    sentAny_ = true;
    lastForwardedAt_ = now;
    timestampOffset_ = header->timestamp - packet.Timestamp();
    ++packetsSent_;
    octetsSent_ += static_cast<uint32_t>(packet.PayloadSize());
  }
}

bool Subscription::Send(std::span<const uint8_t> source, bool retransmission,
                        const rtp::RtpStreamRewriter::Header& header, uint32_t sourceId,
                        Clock::time_point now) {
  std::span<uint8_t> buffer = subscriber_.SendBuffer();
  if (source.size() + subscriber_.TrailerRoom() > buffer.size()) return false;
  std::memcpy(buffer.data(), source.data(), source.size());
  auto out = rtp::RtpPacket::Parse(buffer.first(source.size()));
  if (!out) return false;
  out->SetSsrc(description_.ssrc);
  out->SetPayloadType(description_.payloadType);
  out->SetSequenceNumber(header.sequenceNumber);
  out->SetTimestamp(header.timestamp);
  out->RemapExtensionIds(description_.extensionMap);
  if (simulcast_ && simulcast_->vp8) {
    // RFC 7741 4.2: PictureID and TL0PICIDX continue across tier switches.
    auto descriptor = rtp::Vp8PayloadDescriptor::Parse(out->Payload());
    if (descriptor && !simulcast_->pictureIds.Rewrite(*descriptor, sourceId)) return false;
  }
  std::optional<uint16_t> transportSequence;
  if (description_.transportCcId != 0) {
    transportSequence = subscriber_.NextTransportSequence();
    rtp::WriteTransportSequenceNumber(out->GetExtension(description_.transportCcId),
                                      *transportSequence);
  }
  std::span<uint8_t> wire = buffer;
  size_t length = out->Size();
  if (retransmission && description_.rtxSsrc != 0 && description_.rtxPayloadType != 0) {
    // RFC 4588 4: the RTX payload starts with the original sequence number,
    // which for this subscriber is the rewritten one.
    wire = subscriber_.RtxBuffer();
    const auto rtx =
        rtp::OriginalToRtx(*out, wire.first(wire.size() - subscriber_.TrailerRoom()),
                           description_.rtxPayloadType, description_.rtxSsrc, rtxSequence_++);
    if (!rtx) return false;
    length = rtx->Size();
  }
  if (!subscriber_.SendRtp(wire, length)) return false;
  lastTimestamp_ = header.timestamp;
  if (transportSequence) subscriber_.OnPacketSent(*transportSequence, length, -1, now);
  Metrics::Instance().CountOut(
      publication_ && publication_->IsVideo() ? PacketKind::kVideo : PacketKind::kAudio, length);
  return true;
}

void Subscription::Retransmit(uint16_t ourSequenceNumber, Clock::time_point now) {
  if (!publication_) return;
  const auto incoming = rewriter_.ToIncoming(ourSequenceNumber);
  // A packet of an earlier speaker of an audio slot is not in the current
  // source's buffer; one of an earlier simulcast tier is in its stream's.
  const bool known = incoming && (simulcast_ || incoming->sourceId == sourceId_);
  const auto stored = known ? publication_->StoredPacket(StreamOfSource(incoming->sourceId),
                                                         incoming->sequenceNumber)
                            : congestion::RtpRetransmissionBuffer::Entry{};
  if (stored.packet.size() < 12) {
    Metrics::Instance().retransmissions_missed().Increment();
    return;
  }
  const int64_t nowMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  switch (
      retransmissionGate_.Check(ourSequenceNumber, stored.storedAtMs, nowMs, subscriber_.RttMs())) {
    case congestion::RetransmissionGate::Decision::kSend:
      break;
    case congestion::RetransmissionGate::Decision::kTooOld:
      Metrics::Instance().retransmissions_too_old().Increment();
      return;
    case congestion::RetransmissionGate::Decision::kResentWithinRtt:
      Metrics::Instance().retransmissions_resent_within_rtt().Increment();
      return;
  }
  const auto header = rewriter_.MapRetransmission(incoming->sourceId, incoming->sequenceNumber,
                                                  Publication::TimestampOf(stored.packet));
  if (!header) {
    Metrics::Instance().retransmissions_missed().Increment();
    return;
  }
  if (Send(stored.packet, true, *header, incoming->sourceId, now)) {
    Metrics::Instance().retransmissions().Increment();
  }
}

void Subscription::RequestKeyFrame(Clock::time_point now) {
  if (!publication_) return;
  if (!simulcast_) {
    publication_->RequestKeyFrame(0, now, this);
    return;
  }
  // The stream being forwarded, or the one the selector waits for.
  int stream = -1;
  if (simulcast_->selector.CurrentTier() != simulcast::LayerSelector::kNoTier) {
    stream = static_cast<int>(StreamOfSource(sourceId_));
  } else if (simulcast_->selector.TargetTier() != simulcast::LayerSelector::kNoTier) {
    stream = publication_->StreamOfTier(simulcast_->selector.TargetTier());
  }
  if (stream >= 0) publication_->RequestKeyFrame(static_cast<size_t>(stream), now, this);
}

std::optional<Subscription::SenderReportFields> Subscription::MakeSenderReport(
    Clock::time_point now, uint64_t nowNtp) const {
  if (!publication_ || !sentAny_) return std::nullopt;
  const auto& report = publication_->Stream(StreamOfSource(sourceId_)).LastSenderReport();
  if (!report) return std::nullopt;
  // Extrapolate the publisher's RTP clock to now and shift it by our
  // timestamp offset, so the receiver's lip sync sees our stream's clock.
  const auto elapsedUs =
      std::chrono::duration_cast<std::chrono::microseconds>(now - report->receivedAt).count();
  const int64_t elapsedTicks = elapsedUs * static_cast<int64_t>(description_.clockRate) / 1'000'000;
  SenderReportFields fields;
  fields.ntpTimestamp = nowNtp;
  fields.rtpTimestamp =
      report->rtpTimestamp + static_cast<uint32_t>(elapsedTicks) + timestampOffset_;
  fields.packetCount = packetsSent_;
  fields.octetCount = octetsSent_;
  return fields;
}

}  // namespace myriad::server::room
