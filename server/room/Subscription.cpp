#include "server/room/Subscription.h"

#include <algorithm>
#include <cstring>

#include "rtp/RtpHeaderExtensions.h"
#include "rtp/RtxPacket.h"
#include "server/Metrics.h"
#include "server/room/Participant.h"
#include "server/room/Publication.h"

namespace myriad::server::room {

Subscription::Subscription(Participant& subscriber, Publication* publication,
                           Description description, uint64_t seed)
    : subscriber_(subscriber),
      publication_(publication),
      description_(std::move(description)),
      rewriter_(seed),
      rtxSequence_(static_cast<uint16_t>(seed >> 32)) {
  rewriter_.SwitchSource(sourceId_, 0);
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
  if (publication_) publication_->RemoveSubscriber(*this);
}

void Subscription::OnPublicationGone() { publication_ = nullptr; }

void Subscription::ForwardRtp(const rtp::RtpPacket& packet, Clock::time_point now) {
  const auto header = rewriter_.Rewrite(packet.SequenceNumber(), packet.Timestamp());
  if (!header) return;  // older than where this subscription started
  if (Send(packet.Data(), false, *header)) {
    sentAny_ = true;
    lastForwardedAt_ = now;
    timestampOffset_ = header->timestamp - packet.Timestamp();
    ++packetsSent_;
    octetsSent_ += static_cast<uint32_t>(packet.PayloadSize());
  }
}

bool Subscription::Send(std::span<const uint8_t> source, bool retransmission,
                        const rtp::RtpStreamRewriter::Header& header) {
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
  if (description_.transportCcId != 0) {
    rtp::WriteTransportSequenceNumber(out->GetExtension(description_.transportCcId),
                                      subscriber_.NextTransportSequence());
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
  Metrics::Instance().CountOut(
      publication_ && publication_->IsVideo() ? PacketKind::kVideo : PacketKind::kAudio, length);
  return true;
}

void Subscription::Retransmit(uint16_t ourSequenceNumber) {
  if (!publication_) return;
  const auto incoming = rewriter_.ToIncoming(ourSequenceNumber);
  // A packet of an earlier speaker of an audio slot is not in the current
  // source's buffer.
  const auto stored = incoming && incoming->sourceId == sourceId_
                          ? publication_->StoredPacket(incoming->sequenceNumber)
                          : std::span<const uint8_t>();
  if (stored.size() < 12) {
    Metrics::Instance().retransmissions_missed().Increment();
    return;
  }
  const auto header = rewriter_.MapRetransmission(incoming->sourceId, incoming->sequenceNumber,
                                                  Publication::TimestampOf(stored));
  if (!header) {
    Metrics::Instance().retransmissions_missed().Increment();
    return;
  }
  if (Send(stored, true, *header)) Metrics::Instance().retransmissions().Increment();
}

void Subscription::RequestKeyFrame(Clock::time_point now) {
  if (publication_) publication_->RequestKeyFrame(now);
}

std::optional<Subscription::SenderReportFields> Subscription::MakeSenderReport(
    Clock::time_point now, uint64_t nowNtp) const {
  if (!publication_ || !sentAny_) return std::nullopt;
  const auto& report = publication_->LastSenderReport();
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
