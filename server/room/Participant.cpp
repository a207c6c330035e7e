#include "server/room/Participant.h"

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <nlohmann/json.hpp>
#include <variant>

#include "rtp/Fir.h"
#include "rtp/GenericNack.h"
#include "rtp/Pli.h"
#include "rtp/ReceiverReport.h"
#include "rtp/Remb.h"
#include "rtp/RtcpCompound.h"
#include "rtp/RtcpHeader.h"
#include "rtp/RtpHeaderExtensions.h"
#include "rtp/RtxPacket.h"
#include "rtp/SenderReport.h"
#include "rtp/Tmmbr.h"
#include "rtp/TmmbrEntry.h"
#include "rtp/TransportCcFeedback.h"
#include "server/Logging.h"
#include "server/Metrics.h"
#include "server/Worker.h"
#include "server/room/Publication.h"
#include "server/room/PublishedStream.h"
#include "server/room/Room.h"
#include "server/room/Subscription.h"
#include "server/transport/SctpStack.h"
#include "signaling/ClientRequest.h"
#include "signaling/SdpAnswerBuilder.h"

namespace myriad::server::room {
namespace {

uint32_t RandomSsrc() {
  uint32_t value = 0;
  while (value == 0) RAND_bytes(reinterpret_cast<uint8_t*>(&value), sizeof(value));
  return value;
}

// RFC 3550 4: NTP timestamp (seconds since 1900, 32.32 fixed point) of a
// system_clock time.
uint64_t ToNtp(std::chrono::system_clock::time_point t) {
  constexpr uint64_t kNtpUnixOffset = 2208988800ull;
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const uint64_t seconds = static_cast<uint64_t>(us / 1'000'000) + kNtpUnixOffset;
  const uint64_t fraction = (static_cast<uint64_t>(us % 1'000'000) << 32) / 1'000'000;
  return (seconds << 32) | fraction;
}

// RFC 3550 6.4.1: the middle 32 bits of the NTP time now, the arrival
// time of a report block for its round trip (A - LSR - DLSR).
uint32_t NtpMiddle32Now() {
  return static_cast<uint32_t>(ToNtp(std::chrono::system_clock::now()) >> 16);
}

constexpr auto kReportInterval = std::chrono::milliseconds(1000);

uint32_t NextParticipantNumber() {
  // Workers create participants concurrently; 0 is never handed out.
  static std::atomic<uint32_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

Participant::Participant(std::string id, std::string name,
                         std::shared_ptr<signaling::SignalingPeer> peer, Room& room, Worker& worker,
                         Clock::time_point now)
    : id_(std::move(id)),
      number_(NextParticipantNumber()),
      name_(std::move(name)),
      peer_(std::move(peer)),
      room_(room),
      worker_(worker),
      transport_(std::make_unique<transport::WebRtcTransport>(
          worker.Certificate(), worker, *this,
          transport::WebRtcTransport::Options{
              std::chrono::milliseconds(worker.Config().ice.consentTimeoutMs)},
          now)),
      rtcpSsrc_(RandomSsrc()),
      transportSequence_(static_cast<uint16_t>(RandomSsrc())),
      lastReports_(now) {
  controlPeer_ = std::make_unique<ControlPeer>(peer_, *transport_, worker_.Context());
  Metrics::Instance().participants().Increment();
}

void Participant::EnableDataChannels(uint16_t remotePort, uint32_t remoteMaxMessageSize) {
  transport::SctpAssociation::Options options;
  options.remotePort = remotePort;
  options.remoteMaxMessageSize = remoteMaxMessageSize;
  options.maxMessageSize = signaling::SdpAnswerBuilder::kLocalMaxMessageSize;
  transport_->EnableDataChannels(options,
                                 transport::SctpStack::PostTo(worker_.Context().get_executor()));
}

void Participant::OnDataChannelOpen(uint16_t streamId, std::string_view label) {
  if (label != ControlPeer::kChannelLabel) return;  // other channels carry nothing we serve
  controlPeer_->SetChannel(streamId);
}

void Participant::OnDataChannelClosed(uint16_t streamId) {
  if (controlPeer_->Channel() == streamId) controlPeer_->SetChannel(std::nullopt);
}

void Participant::OnDataChannelMessage(uint16_t streamId, std::span<const uint8_t> message,
                                       bool binary) {
  if (controlPeer_->Channel() != streamId) return;
  Metrics::Instance().DataChannelMessages(/*outgoing=*/false).Increment();
  std::string text(reinterpret_cast<const char*>(message.data()), message.size());
  // Sequenced (docs/protocol.md "Data channel"): each message arrives twice and may overtake
  // another; a message without "seq" is handled as it comes.
  uint64_t seq = 0;
  bool unordered = false;
  if (!binary) {
    const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (json.is_object()) {
      const auto it = json.find("seq");
      if (it != json.end() && it->is_number_unsigned()) seq = it->get<uint64_t>();
      const auto flag = json.find("unordered");
      unordered = flag != json.end() && flag->is_boolean() && flag->get<bool>();
    }
  }
  const auto arrival = room_.ReceiveTime();
  if (seq == 0) {
    HandleControlText(text, binary, arrival);
    return;
  }
  auto received = controlPeer_->Inbound().Receive(seq, std::move(text), unordered);
  if (received.overflow) {
    Logging::Get("room")->info("{}: control channel sequence broken, closing it", id_);
    heldArrivals_.clear();
    controlPeer_->AbandonChannel();
    return;
  }
  // A message held back behind a missing one arrived when its first copy did: the wait counts.
  if (!received.duplicate && received.readySeqs.empty()) heldArrivals_.emplace(seq, arrival);
  for (size_t i = 0; i < received.ready.size(); ++i) {
    auto when = arrival;
    if (const auto held = heldArrivals_.find(received.readySeqs[i]); held != heldArrivals_.end()) {
      when = held->second;
      heldArrivals_.erase(held);
    }
    HandleControlText(received.ready[i], false, when);
  }
}

void Participant::HandleControlText(std::string_view text, bool binary, Clock::time_point arrival) {
  // The same requests as on the WebSocket (docs/protocol.md), conference control only: joins,
  // offers and leaves stay on the WebSocket, which owns the session.
  auto parsed = binary ? std::variant<signaling::ClientRequest, signaling::RequestError>(
                             signaling::RequestError{"bad_message", "binary message", nullptr})
                       : signaling::ClientRequestParser::Parse(text);
  if (auto* error = std::get_if<signaling::RequestError>(&parsed)) {
    nlohmann::json reply{{"type", "error"}, {"code", error->code}, {"message", error->message}};
    if (!error->id.is_null()) reply["id"] = error->id;
    Metrics::Instance().SignalingError(error->code).Increment();
    controlPeer_->Send(std::move(reply));
    return;
  }
  auto& request = std::get<signaling::ClientRequest>(parsed);
  auto* control = std::get_if<signaling::ControlRequest>(&request.body);
  if (!control) {
    nlohmann::json reply{{"type", "error"},
                         {"code", "bad_message"},
                         {"message", "only conference control requests ride the data channel"}};
    if (!request.id.is_null()) reply["id"] = request.id;
    controlPeer_->Send(std::move(reply));
    return;
  }
  room_.HandleControl(id_, *control, request.id, *controlPeer_, {arrival, true});
}

Participant::~Participant() {
  // The downlink controller points at subscriptions (a probe's carrier).
  downlink_.reset();
  // Subscriptions first: they point into other participants' publications.
  subscriptions_.clear();
  if (!publications_.empty()) Metrics::Instance().publishers().Decrement();
  publications_.clear();
  Metrics::Instance().participants().Decrement();
}

Publication& Participant::AddPublication(std::unique_ptr<Publication> publication) {
  Publication& added = *publication;
  if (added.MediaSsrc() != 0) publicationsBySsrc_[added.MediaSsrc()] = {&added, 0, false};
  if (added.RtxSsrc() != 0) publicationsBySsrc_[added.RtxSsrc()] = {&added, 0, true};
  if (publications_.empty()) Metrics::Instance().publishers().Increment();
  publications_[added.Mid()] = std::move(publication);
  return added;
}

void Participant::RemovePublication(const std::string& mid) {
  const auto it = publications_.find(mid);
  if (it == publications_.end()) return;
  std::erase_if(publicationsBySsrc_,
                [&](const auto& entry) { return entry.second.publication == it->second.get(); });
  publications_.erase(it);
  if (publications_.empty()) Metrics::Instance().publishers().Decrement();
}

Subscription& Participant::AddSubscription(std::unique_ptr<Subscription> subscription) {
  Subscription& added = *subscription;
  subscriptionsBySsrc_[added.Ssrc()] = &added;
  if (added.RtxSsrc() != 0) subscriptionsBySsrc_[added.RtxSsrc()] = &added;
  if (added.IsSimulcast()) ++simulcastSubscriptions_;
  if (!downlink_ && added.TierCount() > 0 && added.Describe().transportCcId != 0) {
    downlink_ = std::make_unique<DownlinkController>(*this, worker_.Context(),
                                                     DownlinkController::Options{});
    downlink_->OnRtt(rttMs_);
  }
  if (added.IsAudioSlot()) {
    const auto index = static_cast<size_t>(added.Slot());
    if (slots_.size() <= index) slots_.resize(index + 1, nullptr);
    slots_[index] = &added;
    ++slotCount_;
  }
  subscriptions_[added.Mid()] = std::move(subscription);
  return added;
}

uint32_t Participant::OwnAudioSourceId() const {
  uint32_t any = 0;
  for (const auto& [mid, publication] : publications_) {
    if (publication->AudioSourceId() == 0) continue;
    if (publication->Source() == "microphone") return publication->AudioSourceId();
    if (any == 0) any = publication->AudioSourceId();
  }
  return any;
}

void Participant::RemoveSubscription(const std::string& mid) {
  const auto it = subscriptions_.find(mid);
  if (it == subscriptions_.end()) return;
  std::erase_if(subscriptionsBySsrc_,
                [&](const auto& entry) { return entry.second == it->second.get(); });
  if (it->second->IsSimulcast()) --simulcastSubscriptions_;
  if (downlink_) downlink_->OnSubscriptionRemoved(*it->second);
  if (it->second->IsAudioSlot()) {
    slots_[static_cast<size_t>(it->second->Slot())] = nullptr;
    --slotCount_;
  }
  subscriptions_.erase(it);
}

uint32_t Participant::AllocateSsrc() {
  for (;;) {
    const uint32_t ssrc = RandomSsrc();
    if (ssrc != rtcpSsrc_ && !subscriptionsBySsrc_.count(ssrc) &&
        !publicationsBySsrc_.count(ssrc)) {
      return ssrc;
    }
  }
}

std::span<uint8_t> Participant::SendBuffer() { return worker_.AcquireSendSlot(); }

bool Participant::SendRtp(std::span<uint8_t> buffer, size_t length) {
  return transport_->SendRtp(buffer, length);
}

bool Participant::SendRtcp(size_t length) { return transport_->SendRtcp(rtcpBuffer_, length); }

void Participant::OnTransportConnected() {
  Logging::Get("transport")->info("participant {} connected (ICE+DTLS+SRTP)", id_);
  // Subscriptions made before the transport was up asked for key frames
  // that could not reach this participant's decoder; ask again.
  const auto now = Clock::now();
  for (auto& [mid, subscription] : subscriptions_) subscription->RequestKeyFrame(now);
}

void Participant::OnTransportClosed(std::string_view reason) {
  // Never destroy ourselves inside a transport callback: post the leave.
  worker_.Post([&worker = worker_, room = room_.Name(), id = id_, reason = std::string(reason)] {
    if (auto* r = worker.FindRoom(room)) r->Leave(id, reason);
  });
}

std::optional<Participant::SsrcRoute> Participant::RoutePublication(rtp::RtpPacket& packet) {
  const auto it = publicationsBySsrc_.find(packet.Ssrc());
  if (it != publicationsBySsrc_.end()) return it->second;
  // An SSRC the offer did not announce (simulcast, or a browser that omits
  // a=ssrc): bind it through the mid header extension (RFC 8843 15) and,
  // for a simulcast track, the rid or repaired-rid extension (RFC 8852 3).
  for (auto& [mid, publication] : publications_) {
    const uint8_t midId = publication->MidId();
    if (midId == 0) continue;
    const auto value = rtp::ReadStringExtension(packet.GetExtension(midId));
    if (value != mid) continue;
    const uint8_t rridId = publication->RepairedRidId();
    const auto repairedRid =
        rridId != 0 ? rtp::ReadStringExtension(packet.GetExtension(rridId)) : std::string_view();
    const auto rtxPt = publication->Describe().codec.rtxPayloadType;
    const bool rtx = !repairedRid.empty() || (rtxPt && packet.PayloadType() == *rtxPt);
    int stream = 0;
    if (publication->IsSimulcast()) {
      const uint8_t ridId = publication->RidId();
      const auto rid = !repairedRid.empty() ? repairedRid
                       : ridId != 0         ? rtp::ReadStringExtension(packet.GetExtension(ridId))
                                            : std::string_view();
      stream = publication->StreamIndexForRid(rid);
      if (stream < 0) return std::nullopt;
    }
    PublishedStream& target = publication->Stream(static_cast<size_t>(stream));
    if (rtx) {
      if (target.RtxSsrc() != 0) return std::nullopt;
      target.SetRtxSsrc(packet.Ssrc());
    } else {
      if (target.MediaSsrc() != 0) return std::nullopt;  // one SSRC per stream
      target.SetMediaSsrc(packet.Ssrc());
    }
    const SsrcRoute route{publication.get(), static_cast<uint32_t>(stream), rtx};
    publicationsBySsrc_[packet.Ssrc()] = route;
    return route;
  }
  return std::nullopt;
}

void Participant::OnRtpPacket(rtp::RtpPacket& packet, Clock::time_point now) {
  const auto route = RoutePublication(packet);
  if (!route) {
    Metrics::Instance().CountDrop(DropReason::kUnknownSsrc);
    return;
  }
  Publication* publication = route->publication;
  const PublishedStream& stream = publication->Stream(route->stream);
  RecordTransportSequence(packet, *publication, stream.MediaSsrc(), now);
  if (route->rtx) {
    // Padding-only RTX packets are bandwidth probes, not media (RFC 4588
    // payloads start with the 2-byte original sequence number).
    if (packet.PayloadSize() < 2) return;
    // An RTX stream whose media stream has not been seen cannot be unwrapped.
    if (stream.MediaSsrc() == 0) return;
    const auto& codec = publication->Describe().codec;
    auto original = rtp::RtxToOriginalInPlace(packet, codec.payloadType, stream.MediaSsrc());
    if (!original) {
      Metrics::Instance().CountDrop(DropReason::kMalformedRtp);
      return;
    }
    if (original->PayloadSize() == 0) return;
    publication->OnRtpPacket(route->stream, *original, now);
    return;
  }
  if (packet.PayloadSize() == 0) return;  // padding-only probe
  publication->OnRtpPacket(route->stream, packet, now);
}

void Participant::RecordTransportSequence(const rtp::RtpPacket& packet,
                                          const Publication& publication, uint32_t mediaSsrc,
                                          Clock::time_point now) {
  const uint8_t id = publication.TransportSequenceId();
  if (id == 0) return;
  const auto sequence = rtp::ReadTransportSequenceNumber(packet.GetExtension(id));
  if (!sequence) return;
  const int64_t arrivalUs =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  if (!feedback_) feedback_.emplace(rtcpSsrc_, mediaSsrc != 0 ? mediaSsrc : packet.Ssrc());
  feedbackPacer_.OnPacket(packet.Size());
  if (feedback_->AddReceivedPacket(*sequence, arrivalUs) ==
      rtp::TransportCcFeedbackBuilder::AddResult::kFeedbackFull) {
    // The pending feedback cannot take this packet (delta too large, too
    // many packets): send what we have, then start anew with it.
    SendTransportFeedback();
    feedback_->AddReceivedPacket(*sequence, arrivalUs);
  }
}

void Participant::SendTransportFeedback() {
  if (!feedback_ || feedback_->Empty()) return;
  const size_t length = feedback_->Serialize(rtcpBuffer_);
  feedback_->StartNextFeedback();
  if (length > 0) SendRtcp(length);
}

bool Participant::UplinkCapLowered() const {
  for (const auto& [mid, publication] : publications_) {
    if (const auto* caps = publication->Caps(); caps && caps->CapLowered()) return true;
  }
  return false;
}

void Participant::UpdateUplinkCaps() {
  // Per video track: the caps its subscribers' allocators voted for.
  bool plainChanged = false;
  bool anySimulcast = false;
  uint64_t plainTotal = 0;
  std::array<uint32_t, 8> plainSsrcs{};
  size_t plainCount = 0;
  uint64_t audioAllowance = 0;
  for (auto& [mid, publication] : publications_) {
    if (!publication->IsVideo()) {
      audioAllowance += DownlinkController::kAudioSubscriptionBps;
      continue;
    }
    const bool changed = publication->UpdateCaps();
    if (publication->IsSimulcast()) {
      anySimulcast = true;
      // Before the first plan there is nothing to re-send: a plan made of caps alone would
      // pause every encoding (no rid has a level yet) and the browser would stop sending.
      if (!changed || !publication->TierPlanSent()) continue;
      // Browsers: the encodings' maxBitrate in a re-sent plan.
      SendTierPlan(*publication);
      publication->Caps()->MarkPublished();
      Metrics::Instance().uplink_cap_updates().Increment();
      continue;
    }
    const uint32_t cap = publication->TierCap(0);
    plainTotal += cap;
    if (plainCount < plainSsrcs.size() && publication->MediaSsrc() != 0) {
      plainSsrcs[plainCount++] = publication->MediaSsrc();
    }
    if (!changed) continue;
    plainChanged = true;
    publication->Caps()->MarkPublished();
    const auto& feedback = publication->Describe().codec.rtcpFeedback;
    if (publication->MediaSsrc() != 0 &&
        std::find(feedback.begin(), feedback.end(), "ccm tmmbr") != feedback.end()) {
      SendTmmbr(publication->MediaSsrc(), cap);
    }
  }
  // A single-stream publisher hears the total through REMB (it bounds the
  // sender's whole estimate, so audio is included). Not for a simulcast
  // publisher: its encoder would spread the bound over its encodings from
  // the bottom and drop the top one, where a per-encoding cap keeps it.
  if (plainChanged && !anySimulcast && plainCount > 0) {
    rtp::Remb::Fields fields;
    fields.senderSsrc = rtcpSsrc_;
    fields.bitrateBps = plainTotal + audioAllowance;
    fields.ssrcs = std::span<const uint32_t>(plainSsrcs.data(), plainCount);
    const size_t length = rtp::Remb::Serialize(fields, rtcpBuffer_);
    if (length > 0 && SendRtcp(length)) Metrics::Instance().rembs_sent().Increment();
  }
}

void Participant::SendTmmbr(uint32_t mediaSsrc, uint32_t bitrateBps) {
  // RFC 5104 4.2.1: one entry for the stream; the overhead we do not know.
  const rtp::TmmbrEntry entry = rtp::TmmbrEntry::FromBitrate(mediaSsrc, bitrateBps);
  rtp::Tmmbr::Fields fields;
  fields.senderSsrc = rtcpSsrc_;
  fields.entries = std::span<const rtp::TmmbrEntry>(&entry, 1);
  const size_t length = rtp::Tmmbr::Serialize(fields, rtcpBuffer_);
  if (length > 0 && SendRtcp(length)) Metrics::Instance().tmmbrs_sent().Increment();
}

void Participant::SendLtrMessage(rtp::Rpsi::LtrKind kind, uint32_t mediaSsrc, uint8_t payloadType,
                                 uint16_t frameId) {
  rtp::Rpsi::LtrMessage message;
  message.senderSsrc = rtcpSsrc_;
  message.mediaSsrc = mediaSsrc;
  message.payloadType = payloadType;
  message.kind = kind;
  message.frameId = frameId;
  const size_t length = rtp::Rpsi::SerializeLtr(message, rtcpBuffer_);
  if (length > 0) SendRtcp(length);
}

void Participant::SendPli(uint32_t mediaSsrc) {
  const size_t length = rtp::Pli::Serialize({rtcpSsrc_, mediaSsrc}, rtcpBuffer_);
  if (length > 0 && SendRtcp(length)) Metrics::Instance().plis_sent().Increment();
}

void Participant::SendNacks(Clock::time_point now) {
  std::array<uint16_t, 64> lost{};
  for (auto& [mid, publication] : publications_) {
    for (size_t stream = 0; stream < publication->StreamCount(); ++stream) {
      const size_t count = publication->CollectNacks(stream, now, rttMs_, lost);
      const uint32_t ssrc = publication->Stream(stream).MediaSsrc();
      if (count == 0 || ssrc == 0) continue;
      rtp::GenericNack::Fields fields;
      fields.senderSsrc = rtcpSsrc_;
      fields.mediaSsrc = ssrc;
      fields.lostSequenceNumbers = std::span<const uint16_t>(lost.data(), count);
      const size_t length = rtp::GenericNack::Serialize(fields, rtcpBuffer_);
      if (length > 0 && SendRtcp(length)) Metrics::Instance().nacks_sent().Increment();
    }
  }
}

void Participant::SendReports(Clock::time_point now) {
  const uint64_t nowNtp = ToNtp(std::chrono::system_clock::now());
  // Receiver reports for what this participant publishes (RFC 3550 6.4.2),
  // with LSR/DLSR so the publisher can compute its RTT.
  std::array<rtp::ReportBlock::Fields, 31> blocks{};
  size_t count = 0;
  for (auto& [mid, publication] : publications_) {
    for (size_t index = 0; index < publication->StreamCount(); ++index) {
      PublishedStream& stream = publication->Stream(index);
      if (count == blocks.size() || stream.MediaSsrc() == 0) continue;
      const auto report = stream.Statistics().MakeReport();
      if (!report) continue;
      auto& block = blocks[count++];
      block.sourceSsrc = stream.MediaSsrc();
      block.fractionLost = report->fractionLost;
      Metrics::Instance().FractionLost(false).Observe(report->fractionLost / 256.0);
      block.cumulativeLost = report->cumulativeLost;
      block.extendedHighestSequenceNumber = report->extendedHighestSequence;
      block.jitter = report->jitter;
      if (const auto& sr = stream.LastSenderReport()) {
        block.lastSenderReport = static_cast<uint32_t>(sr->ntpTimestamp >> 16);
        const auto delayUs =
            std::chrono::duration_cast<std::chrono::microseconds>(now - sr->receivedAt).count();
        block.delaySinceLastSenderReport = static_cast<uint32_t>(delayUs * 65536 / 1'000'000);
      }
    }
  }
  if (count > 0) {
    rtp::ReceiverReport::Fields fields;
    fields.senderSsrc = rtcpSsrc_;
    fields.reportBlocks = std::span<const rtp::ReportBlock::Fields>(blocks.data(), count);
    const size_t length = rtp::ReceiverReport::Serialize(fields, rtcpBuffer_);
    if (length > 0) SendRtcp(length);
  }
  for (auto& [mid, publication] : publications_) publication->RepeatLtrAcknowledgements();
  // Sender reports for what it receives from us (RFC 3550 6.4.1), so its
  // browser can synchronise audio and video and compute round-trip times.
  for (auto& [mid, subscription] : subscriptions_) {
    const auto report = subscription->MakeSenderReport(now, nowNtp);
    if (!report) continue;
    rtp::SenderReport::Fields fields;
    fields.senderSsrc = subscription->Ssrc();
    fields.ntpTimestamp = report->ntpTimestamp;
    fields.rtpTimestamp = report->rtpTimestamp;
    fields.packetCount = report->packetCount;
    fields.octetCount = report->octetCount;
    const size_t length = rtp::SenderReport::Serialize(fields, rtcpBuffer_);
    if (length > 0) SendRtcp(length);
  }
}

void Participant::OnRtcpPacket(std::span<uint8_t> compound, Clock::time_point now) {
  const auto parsed = rtp::RtcpCompound::Parse(compound);
  if (!parsed) {
    Metrics::Instance().CountDrop(DropReason::kMalformedRtcp);
    return;
  }
  for (const rtp::RtcpHeader header : *parsed) {
    const std::span<uint8_t> packet = header.Packet();
    switch (header.PacketType()) {
      case rtp::RtcpHeader::kReceiverReport: {
        const auto report = rtp::ReceiverReport::Parse(packet);
        if (!report) break;
        const uint32_t arrivalNtp = NtpMiddle32Now();
        for (size_t i = 0; i < report->ReportBlockCount(); ++i) {
          OnReportBlock(report->ReportBlockAt(i), arrivalNtp);
        }
        break;
      }
      case rtp::RtcpHeader::kSenderReport: {
        const auto report = rtp::SenderReport::Parse(packet);
        if (!report) break;
        const uint32_t arrivalNtp = NtpMiddle32Now();
        for (size_t i = 0; i < report->ReportBlockCount(); ++i) {
          OnReportBlock(report->ReportBlockAt(i), arrivalNtp);
        }
        const auto it = publicationsBySsrc_.find(report->SenderSsrc());
        if (it != publicationsBySsrc_.end() && !it->second.rtx) {
          it->second.publication->OnSenderReport(report->SenderSsrc(), report->NtpTimestamp(),
                                                 report->RtpTimestamp(), now);
        }
        break;
      }
      case rtp::RtcpHeader::kTransportFeedback: {
        if (header.CountOrFormat() == rtp::RtcpHeader::kFmtTransportCc) {
          // About what we sent this participant: its downlink estimate.
          const auto feedback = rtp::TransportCcFeedback::Parse(packet);
          if (!feedback) {
            Metrics::Instance().CountDrop(DropReason::kMalformedRtcp);
          } else if (downlink_) {
            downlink_->OnTransportFeedback(*feedback, now);
          }
          break;
        }
        if (header.CountOrFormat() != rtp::RtcpHeader::kFmtGenericNack) break;
        const auto nack = rtp::GenericNack::Parse(packet);
        if (!nack) break;
        const auto it = subscriptionsBySsrc_.find(nack->MediaSsrc());
        if (it == subscriptionsBySsrc_.end()) break;
        Metrics::Instance().nacks_received().Increment();
        Subscription* subscription = it->second;
        nack->ForEachLostSequenceNumber(
            [&](uint16_t sequence) { subscription->Retransmit(sequence, now); });
        break;
      }
      case rtp::RtcpHeader::kPayloadFeedback: {
        if (header.CountOrFormat() == rtp::RtcpHeader::kFmtPli) {
          const auto pli = rtp::Pli::Parse(packet);
          if (!pli) break;
          Metrics::Instance().plis_received().Increment();
          const auto it = subscriptionsBySsrc_.find(pli->MediaSsrc());
          if (it != subscriptionsBySsrc_.end()) it->second->RequestKeyFrame(now);
        } else if (header.CountOrFormat() == rtp::RtcpHeader::kFmtRpsi) {
          // A subscriber decoded a long-term reference frame (docs/protocol.md).
          const auto message = rtp::Rpsi::ParseLtr(packet);
          if (!message || message->kind != rtp::Rpsi::LtrKind::kAcknowledged) break;
          const auto it = subscriptionsBySsrc_.find(message->mediaSsrc);
          if (it == subscriptionsBySsrc_.end() || !it->second->Source()) break;
          it->second->Source()->OnLtrAcknowledged(*it->second, message->frameId);
        } else if (header.CountOrFormat() == rtp::RtcpHeader::kFmtFir) {
          const auto fir = rtp::Fir::Parse(packet);
          if (!fir) break;
          Metrics::Instance().firs_received().Increment();
          // RFC 5104 4.3.1: the media SSRC is in the FCI entries.
          for (size_t i = 0; i < fir->EntryCount(); ++i) {
            const auto it = subscriptionsBySsrc_.find(fir->EntryAt(i).ssrc);
            if (it != subscriptionsBySsrc_.end()) it->second->RequestKeyFrame(now);
          }
        }
        break;
      }
      default:
        // RR, SDES, BYE, transport-cc and REMB from subscribers feed the
        // bandwidth estimation of a later issue; nothing to do yet.
        break;
    }
  }
}

void Participant::OnReportBlock(const rtp::ReportBlock& block, uint32_t arrivalNtp) {
  // Only blocks about streams we send this participant: those carry our
  // sender reports' LSR.
  if (!subscriptionsBySsrc_.contains(block.SourceSsrc())) return;
  Metrics::Instance().FractionLost(true).Observe(block.FractionLost() / 256.0);
  if (roundTrip_.OnReportBlock(block.LastSenderReport(), block.DelaySinceLastSenderReport(),
                               arrivalNtp)) {
    rttMs_ = roundTrip_.SmoothedMsOr(rttMs_);
    if (downlink_) downlink_->OnRtt(rttMs_);
  }
}

void Participant::OnTick(Clock::time_point now) {
  transport_->OnTick(now);
  if (!transport_->IsConnected()) return;
  const int64_t nowMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  if (feedbackPacer_.IsDue(nowMs)) SendTransportFeedback();
  SendNacks(now);
  if (now - lastReports_ >= kReportInterval) {
    lastReports_ = now;
    SendReports(now);
  }
  for (auto& [mid, publication] : publications_) {
    // No plan before the browser's encoders run: a plan that pauses encodings before the
    // first frame sometimes left Chromium sending no video at all (seen in CI when a subscriber
    // was in the room before its publisher). Until then the browser sends its negotiated
    // encodings; the demand waits in the planner.
    if (!publication->IsSimulcast() || !publication->MediaStarted()) continue;
    if (publication->UpdatePlan(nowMs).has_value()) {
      // The new plan carries the caps as they are for its tiers.
      publication->UpdateCaps();
      SendTierPlan(*publication);
      publication->Caps()->MarkPublished();
    }
  }
  if (now - lastCapsUpdate_ >= DownlinkController::kAllocationInterval || UplinkCapLowered()) {
    lastCapsUpdate_ = now;
    UpdateUplinkCaps();
  }
  if (simulcastSubscriptions_ > 0) {
    for (auto& [mid, subscription] : subscriptions_) subscription->OnTick(now);
  }
  if (downlink_) downlink_->OnTick(now);
}

void Participant::SendTierPlan(Publication& publication) {
  const auto& ladder = publication.Planner()->Ladder();
  int source = publication.SourceHeight();
  if (source <= 0) source = ladder.Level(ladder.LevelCount() - 1).height;
  nlohmann::json encodings = nlohmann::json::array();
  const auto& rids = publication.Describe().rids;
  const auto& ridLevels = publication.RidLevels();
  for (size_t i = 0; i < rids.size(); ++i) {
    if (i >= ridLevels.size() || ridLevels[i] < 0) {
      encodings.push_back({{"rid", rids[i]}, {"active", false}});
      continue;
    }
    const auto& level = ladder.Level(ridLevels[i]);
    const double scale =
        std::max(1.0, std::round(1000.0 * source / std::max(1, level.height)) / 1000.0);
    // The tier's ladder rate (Publication::TierMaxBitrate), capped by what
    // its best-connected subscriber can take (Publication::TierCap).
    const int tier = static_cast<int>(i);
    const uint32_t maxBitrate =
        std::min(publication.TierMaxBitrate(tier), publication.TierCap(tier));
    encodings.push_back({{"rid", rids[i]},
                         {"active", true},
                         {"scaleResolutionDownBy", scale},
                         {"maxBitrate", maxBitrate},
                         {"maxFramerate", level.maxFramerate}});
  }
  // Signalling rate (a re-plan is debounced).
  Logging::Get("simulcast")
      ->debug("{}: tier plan for track {}: {}", id_, publication.TrackId(), encodings.dump());
  // Every message gets a new version, also a re-send for new caps: the
  // client applies only a version newer than the last.
  controlPeer_->Send(nlohmann::json{{"type", "tierPlan"},
                                    {"mid", publication.Mid()},
                                    {"version", publication.NextTierPlanMessageVersion()},
                                    {"encodings", std::move(encodings)}});
}

}  // namespace myriad::server::room
