#pragma once

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "congestion/RoundTripTimeEstimator.h"
#include "congestion/TransportFeedbackPacer.h"
#include "rtp/ReportBlock.h"
#include "rtp/Rpsi.h"
#include "rtp/TransportCcFeedbackBuilder.h"
#include "server/room/ControlPeer.h"
#include "server/room/DownlinkController.h"
#include "server/transport/WebRtcTransport.h"
#include "signaling/Grants.h"
#include "signaling/SignalingPeer.h"
#include "simulcast/TierPlan.h"

namespace myriad::server {
class Worker;
}

namespace myriad::server::room {

class Publication;
class Room;
class Subscription;

// A member of a room: its signalling peer, its one WebRTC transport, the
// tracks it publishes and the subscriptions it receives. It routes what its
// transport decrypts (RTP to its publications, RTCP feedback to the right
// publication or subscription) and produces the RTCP the browsers need.
class Participant : public transport::WebRtcTransport::Listener {
 public:
  using Clock = std::chrono::steady_clock;

  Participant(std::string id, std::string name, std::shared_ptr<signaling::SignalingPeer> peer,
              Room& room, Worker& worker, Clock::time_point now);
  ~Participant() override;
  Participant(const Participant&) = delete;
  Participant& operator=(const Participant&) = delete;

  const std::string& Id() const { return id_; }
  // A process-wide number for this participant (never reused while the
  // process runs): its identity in per-publication tables such as
  // congestion::TierBitrateCaps.
  uint32_t Number() const { return number_; }
  Room& GetRoom() { return room_; }
  const std::string& Name() const { return name_; }
  // Who the access token says this is ("" for a development-mode join without a token) and what
  // it may do; set once at join.
  void SetAccess(std::string identity, const signaling::Grants& grants) {
    identity_ = std::move(identity);
    grants_ = grants;
  }
  const std::string& Identity() const { return identity_; }
  const signaling::Grants& AccessGrants() const { return grants_; }
  // Where messages to this participant go: its control data channel when open, else its
  // WebSocket (ControlPeer).
  signaling::SignalingPeer& Peer() { return *controlPeer_; }
  ControlPeer& Control() { return *controlPeer_; }
  // The room accepted a data channel m-line in this participant's offer: SCTP on its transport.
  void EnableDataChannels(uint16_t remotePort, uint32_t remoteMaxMessageSize);
  transport::WebRtcTransport& Transport() { return *transport_; }

  // Tracks this participant publishes, by mid.
  std::map<std::string, std::unique_ptr<Publication>>& Publications() { return publications_; }
  // Tracks it receives, by mid.
  std::map<std::string, std::unique_ptr<Subscription>>& Subscriptions() { return subscriptions_; }
  Publication& AddPublication(std::unique_ptr<Publication> publication);
  void RemovePublication(const std::string& mid);
  Subscription& AddSubscription(std::unique_ptr<Subscription> subscription);
  void RemoveSubscription(const std::string& mid);
  // A random SSRC not used on this transport in either direction.
  uint32_t AllocateSsrc();

  // Audio slots (docs/protocol.md): the subscription bound to slot `index`,
  // or nullptr.
  Subscription* SlotSubscription(size_t index) const {
    return index < slots_.size() ? slots_[index] : nullptr;
  }
  bool HasSlots() const { return slotCount_ > 0; }
  // The source id under which this participant's own microphone is ranked
  // (0: it publishes no audio), so its slots never carry itself.
  uint32_t OwnAudioSourceId() const;
  // Set when a slot changed speaker since the last `speakers` message.
  bool speakersChanged = false;
  // Conference control: a raised hand (docs/protocol.md `raiseHand`).
  bool handRaised = false;
  // The o= session version for the next answer on this transport: RFC 3264
  // 8 wants it to grow with every new description of the same session.
  uint64_t NextAnswerVersion() { return nextAnswerVersion_++; }

  // Send path used by subscriptions. The buffers are per participant and
  // reused for every packet: the packet path does not allocate.
  // The worker's next send slot: the packet is rewritten, protected and
  // queued for sendmmsg in place, without a copy.
  std::span<uint8_t> SendBuffer();
  std::span<uint8_t> RtxBuffer() { return rtxBuffer_; }
  static constexpr size_t TrailerRoom() { return transport::WebRtcTransport::kSrtpTrailerRoom; }
  bool SendRtp(std::span<uint8_t> buffer, size_t length);
  uint16_t NextTransportSequence() { return transportSequence_++; }
  // A packet with transport-wide sequence number `transportSequence` left
  // for this participant (bandwidth estimation; `probeClusterId` -1 unless
  // it was probe padding).
  void OnPacketSent(uint16_t transportSequence, size_t rtpBytes, int probeClusterId,
                    Clock::time_point now) {
    if (downlink_) downlink_->OnPacketSent(transportSequence, rtpBytes, probeClusterId, now);
  }
  DownlinkController* Downlink() { return downlink_.get(); }
  // Round trip to this participant (its reports on our streams; 100 ms
  // until the first).
  int64_t RttMs() const { return rttMs_; }

  // Feedback to this participant as a publisher.
  void SendPli(uint32_t mediaSsrc);
  // Long-term reference feedback (RFC 4585 6.3.3 RPSI, Myriad's layout).
  void SendLtrMessage(rtp::Rpsi::LtrKind kind, uint32_t mediaSsrc, uint8_t payloadType,
                      uint16_t frameId);

  void OnTick(Clock::time_point now);

 private:
  // WebRtcTransport::Listener
  void OnTransportConnected() override;
  void OnTransportClosed(std::string_view reason) override;
  void OnRtpPacket(rtp::RtpPacket& packet, Clock::time_point now) override;
  void OnRtcpPacket(std::span<uint8_t> compound, Clock::time_point now) override;
  void OnDataChannelOpen(uint16_t streamId, std::string_view label) override;
  void OnDataChannelMessage(uint16_t streamId, std::span<const uint8_t> message,
                            bool binary) override;
  void OnDataChannelClosed(uint16_t streamId) override;
  // One control request from the data channel, in sequence.
  // `arrival`: when the message reached the server (Room::ControlOrigin).
  void HandleControlText(std::string_view text, bool binary, Clock::time_point arrival);

  // Where an incoming SSRC goes: a publication's stream, media or RTX.
  struct SsrcRoute {
    Publication* publication = nullptr;
    uint32_t stream = 0;
    bool rtx = false;
  };
  std::optional<SsrcRoute> RoutePublication(rtp::RtpPacket& packet);
  // Tells this participant, as a publisher, what to encode on a simulcast
  // track (docs/protocol.md `tierPlan`).
  void SendTierPlan(Publication& publication);
  void RecordTransportSequence(const rtp::RtpPacket& packet, const Publication& publication,
                               uint32_t mediaSsrc, Clock::time_point now);
  // A report block about one of our streams to this participant: an RTT
  // sample (`arrivalNtp`: middle 32 bits of the NTP arrival time).
  void OnReportBlock(const rtp::ReportBlock& block, uint32_t arrivalNtp);
  void SendTransportFeedback();
  // Uplink/downlink linkage: re-sends tier plans (browsers: maxBitrate per
  // encoding), REMB and TMMBR (native clients) when a track's caps moved.
  // Every allocation interval, and at the next tick when a subscriber's vote
  // lowered a published cap (TierBitrateCaps::CapLowered).
  void UpdateUplinkCaps();
  bool UplinkCapLowered() const;
  void SendTmmbr(uint32_t mediaSsrc, uint32_t bitrateBps);
  void SendNacks(Clock::time_point now);
  void SendReports(Clock::time_point now);
  bool SendRtcp(size_t length);

  std::string id_;
  uint32_t number_;
  std::string name_;
  std::string identity_;
  signaling::Grants grants_;  // none until SetAccess
  std::shared_ptr<signaling::SignalingPeer> peer_;
  Room& room_;
  Worker& worker_;
  std::unique_ptr<transport::WebRtcTransport> transport_;
  std::unique_ptr<ControlPeer> controlPeer_;  // after transport_: it sends on it
  // Arrival times of channel messages the sequencer holds back (at most
  // signaling::ControlSequencer::kMaxHeldBack), by seq.
  std::map<uint64_t, Clock::time_point> heldArrivals_;
  std::map<std::string, std::unique_ptr<Publication>> publications_;
  std::map<std::string, std::unique_ptr<Subscription>> subscriptions_;
  std::unordered_map<uint32_t, SsrcRoute> publicationsBySsrc_;  // media and RTX ssrcs
  size_t simulcastSubscriptions_ = 0;
  std::unordered_map<uint32_t, Subscription*> subscriptionsBySsrc_;
  std::vector<Subscription*> slots_;  // by slot index
  size_t slotCount_ = 0;
  uint32_t rtcpSsrc_;  // our SSRC as the sender of feedback to this participant
  uint16_t transportSequence_;
  // Created with the first media SSRC seen: receivers route transport-wide
  // feedback to their sending RTP module by that SSRC.
  std::optional<rtp::TransportCcFeedbackBuilder> feedback_;
  congestion::TransportFeedbackPacer feedbackPacer_;
  Clock::time_point lastReports_;
  Clock::time_point lastCapsUpdate_;
  uint64_t nextAnswerVersion_ = 1;
  // Round trip to this participant from its reports on what we send it;
  // until the first one, 100 ms.
  congestion::RoundTripTimeEstimator roundTrip_;
  // Created with the first video subscription (DownlinkController).
  std::unique_ptr<DownlinkController> downlink_;
  int64_t rttMs_ = 100;
  std::array<uint8_t, 1600> rtxBuffer_{};
  std::array<uint8_t, 1500> rtcpBuffer_{};
};

}  // namespace myriad::server::room
