#include "server/room/Subscription.h"

#include <cstring>

#include "rtp/RtpHeaderExtensions.h"
#include "rtp/RtxPacket.h"
#include "server/Metrics.h"
#include "server/room/Participant.h"
#include "server/room/Publication.h"

namespace myriad::server::room {

Subscription::Subscription(Participant& subscriber, Publication& publication,
                           Description description, uint64_t seed)
    : subscriber_(subscriber),
      publication_(&publication),
      description_(std::move(description)),
      rewriter_(seed),
      rtxSequence_(static_cast<uint16_t>(seed >> 32)) {
  rewriter_.SwitchSource(kPrimarySource, 0);
  publication_->AddSubscriber(*this);
}

Subscription::~Subscription() {
  if (publication_) publication_->RemoveSubscriber(*this);
}

void Subscription::OnPublicationGone() { publication_ = nullptr; }

void Subscription::ForwardRtp(const rtp::RtpPacket& packet) {
  const auto header = rewriter_.Rewrite(packet.SequenceNumber(), packet.Timestamp());
  if (!header) return;  // older than where this subscription started
  if (Send(packet.Data(), false, *header)) {
    sentAny_ = true;
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
  const auto stored =
      incoming ? publication_->StoredPacket(incoming->sequenceNumber) : std::span<const uint8_t>();
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
