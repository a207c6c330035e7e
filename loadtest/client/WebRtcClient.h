#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "loadtest/client/ClientOfferBuilder.h"
#include "loadtest/client/ClientTransport.h"
#include "loadtest/client/SctpTimerDriver.h"
#include "loadtest/client/SignalingClient.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/TransportFeedbackReporter.h"
#include "rtp/Rpsi.h"
#include "server/transport/DtlsCertificate.h"
#include "server/transport/SctpAssociation.h"
#include "signaling/ControlSequencer.h"
#include "signaling/SessionDescription.h"

namespace myriad::loadtest {

// One participant of a Myriad room, as a browser would be: signalling over
// the /rtc WebSocket, one BUNDLEd transport (ClientTransport), offers it
// makes itself (ClientOfferBuilder) and answers it learns from (SSRCs,
// payload types and extension ids per mid). Every operation is asynchronous
// on the caller's io_context and reports through a callback; operations that
// renegotiate are queued and run one offer at a time, each offer describing
// all transceivers, as docs/protocol.md asks.
//
// With Options::controlChannel the client also has the control data channel
// of docs/protocol.md "Data channel": an application m-line in its offers,
// SCTP over the transport's DTLS, and the channel `myriad-control` it opens
// itself. What the server sends there goes through the same handling as
// the WebSocket's messages (Events(), roster, speakers...).
//
// Single-threaded; callbacks must not destroy the client.
class WebRtcClient : private server::transport::SctpAssociation::Listener {
 public:
  using Json = nlohmann::json;
  using Clock = std::chrono::steady_clock;
  // "" on success, else what went wrong ("timeout", "bad_sdp: ...").
  using Callback = std::function<void(const std::string& error)>;

  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 0;  // the server's HTTP/WebSocket port
    // Seeds the SSRCs, msid ids and cname, so a seeded test sees the same
    // streams every run. ICE credentials stay random.
    uint32_t seed = 1;
    VideoCodec videoCodec = VideoCodec::kVp8;
    PayloadTypePlan payloadTypes;
    ExtensionIds extensions;
    ClientTransport::Options transport;
    std::chrono::milliseconds requestTimeout{5000};
    // The access token sent with `join` (docs/protocol.md "Access tokens");
    // empty: none (a development-mode server admits the join).
    std::string token;
    // Shared by many clients of a load test to save key generation; a new
    // one is generated when null.
    std::shared_ptr<const server::transport::DtlsCertificate> certificate;
    // Offers the fingerprint of a different certificate than the one DTLS
    // uses: the server must refuse the handshake (tests).
    bool offerWrongFingerprint = false;
    // Join completes only after every `rosterPage` has been fetched, so
    // Participants() and RemoteTracks() hold the whole room.
    bool fetchFullRoster = false;
    // Keeps every server-initiated message in Events(). A load test of a
    // thousand clients turns this off: the roster batches add up.
    bool recordEvents = true;
    // Keeps the room's participants and tracks (Participants(),
    // RemoteTracks()) from snapshots and roster batches. A load-test client
    // that never subscribes by track id turns it off: a thousand clients
    // each holding a thousand-entry roster make the generator, not the
    // server, the bottleneck of a join storm. Versions are still followed
    // and messages still counted.
    bool keepRoster = true;
    // Video levels (indexes into VideoLevels(), docs/protocol.md "Simulcast
    // tiers") SetViewport asks for: visible tiles and prefetched ones (the
    // next page, at the lowest level so a flip starts playing at once).
    // -1 states none (the server's default, the top level). Used only when
    // the server announced its levels.
    int viewportVideoLevel = -1;
    int prefetchVideoLevel = 0;
    // Reports what arrives in transport-wide congestion control feedback
    // (TransportFeedbackReporter), as a browser does: every received RTP
    // packet carrying the transport-wide sequence number (the extension id
    // the answer accepted) is recorded with its arrival time, and feedback
    // goes out over SRTCP at the pacer's interval, so the server estimates
    // this client's downlink and allocates its tiers by it. Also turns on
    // the transport's kernelReceiveTimestamps. Off by default: a thousand
    // audio participants of a load test need no estimate and should not
    // pay for one.
    bool sendTransportFeedback = false;
    // Offers long-term reference feedback on every video m-line (RPSI and
    // the Dependency Descriptor, ClientOfferBuilder; docs/protocol.md
    // "Long-term references"). Whether the answer took it shows per track
    // as MediaTrack::extensions.dependencyDescriptor != 0. Off: browsers'
    // offers, PLI only.
    bool longTermReferences = false;
    // The control data channel (docs/protocol.md "Data channel"): the next
    // offer carries an application m-line (RFC 8841, as Chromium writes it
    // after pc.createDataChannel), and once the answer accepts it and SCTP
    // is up the client opens `myriad-control`, unordered and reliable.
    // Messages carry "seq" and go twice, the copy controlCopyDelay later (0:
    // once); received ones are handled once each and in order. Off:
    // offers exactly as before.
    bool controlChannel = false;
    std::chrono::milliseconds controlCopyDelay{10};
    // The channel's delivery (the protocol asks for unordered; an ordered
    // channel is what a plain createDataChannel gives, for comparison).
    bool controlChannelOrdered = false;
    // SCTP timers and limits of the association (ports and the peer's
    // message size limit come from the answer).
    server::transport::SctpAssociation::Options sctp;
  };

  // The control data channel's traffic (Options::controlChannel).
  struct ControlChannelCounters {
    uint64_t messagesSent = 0;      // distinct messages (SendControl, RequestControl)
    uint64_t copiesSent = 0;        // the second copies
    uint64_t sendFailures = 0;      // SCTP refused (buffer full, too large)
    uint64_t messagesReceived = 0;  // handled (each seq once)
    uint64_t duplicatesReceived = 0;
    uint64_t malformedReceived = 0;  // not a JSON object, binary, bad seq
    uint64_t repliesReceived = 0;    // of messagesReceived, replies to RequestControl
    uint64_t sequenceOverflows = 0;  // too much held back: the channel was closed
  };

  struct PublishRequest {
    bool audio = true;
    bool video = true;
    // The audio always gets an audio slot, whatever its level (`priority`
    // in the offer's `publish` entry).
    bool priority = false;
    // Simulcast (RFC 8853): the video is sent as one RTP stream per rid
    // (RFC 8851), lowest quality first by convention. Empty: one stream.
    std::vector<std::string> videoRids = {};
    // The video's `publish` entry (docs/protocol.md "Simulcast tiers"): how
    // many encodings we can produce and the capture size; 0 leaves a field
    // out (the server then assumes one tier per rid, and learns the size
    // from the stream).
    int videoTiers = 0;
    int videoWidth = 0;
    int videoHeight = 0;
  };

  // One simulcast stream of a published video m-line.
  struct SimulcastStream {
    std::string rid;
    uint32_t ssrc = 0;
  };

  // One transceiver (m-line) as negotiated.
  struct MediaTrack {
    std::string mid;
    std::string kind;      // audio | video
    bool sending = false;  // published by us (sendonly) or received (recvonly)
    bool active = false;   // accepted by the last answer and not stopped
    bool rejected = false;
    // Published: the trackId the server gave it. Received: the track bound
    // to this mid ("" for an audio slot).
    std::string trackId;
    // Published: our SSRCs (the first simulcast stream's for simulcast).
    // Received: the SSRCs the answer announced.
    uint32_t ssrc = 0;
    uint32_t rtxSsrc = 0;
    uint8_t payloadType = 0;
    uint8_t rtxPayloadType = 0;  // 0: no RTX negotiated
    std::string codecName;
    uint32_t clockRate = 0;
    ExtensionIds extensions{0, 0, 0, 0, 0, 0, 0, 0};  // accepted ids, 0 = not negotiated
    // Received: the audio slot this m-line is bound to, or -1.
    int slot = -1;
    // Received: subscribed by SetViewport, as visible or prefetched.
    bool viewport = false;
    bool prefetch = false;
    // Published video with simulcast: one entry per rid, in offer order.
    std::vector<SimulcastStream> simulcast;
    // Received video: the level (index into VideoLevels()) last asked for
    // in `subscribe` or with SetVideoLevel; -1 = none stated (the top).
    int videoLevel = -1;
  };

  // One entry of a `tierPlan`: what to encode on one rid.
  struct TierPlanEncoding {
    std::string rid;
    bool active = false;
    double scaleResolutionDownBy = 1;  // 0 when the plan leaves it out
    uint64_t maxBitrate = 0;           // bit/s, 0 when left out
    double maxFramerate = 0;           // 0 when left out
  };

  // The newest `tierPlan` for one of our simulcast video mids.
  struct TierPlan {
    std::string mid;
    uint64_t version = 0;
    std::vector<TierPlanEncoding> encodings;  // in the offer's rid order
    Clock::time_point receivedAt;
    // The entry for `rid`, or nullptr.
    const TierPlanEncoding* Encoding(const std::string& rid) const;
    size_t ActiveCount() const;
  };

  struct RemoteTrack {
    std::string participantId;
    std::string trackId;
    std::string kind;
    std::string source;
  };

  // Who one audio slot carries (`speakers`); both ids empty for an empty slot.
  struct SpeakerSlot {
    int slot = 0;
    std::string participantId;
    std::string trackId;
  };

  // A limit the server applied to an offer (`warnings` in the answer).
  struct AnswerWarning {
    std::string mid;
    std::string code;
    std::string message;
  };

  WebRtcClient(boost::asio::io_context& context, Options options);
  ~WebRtcClient();
  WebRtcClient(const WebRtcClient&) = delete;
  WebRtcClient& operator=(const WebRtcClient&) = delete;

  // Connects the WebSocket, opens the UDP socket and joins `room`. With
  // Options::fetchFullRoster, also fetches every roster page.
  void Join(const std::string& room, const std::string& name, Callback done);
  // Fetches the roster pages left (`rosterPage` from the last `rosterNext`)
  // until the roster is complete; done("") at once when it already is.
  void FetchRosterPages(Callback done);
  // Adds sendonly audio and/or video and negotiates; PublishedTrack() then
  // has their trackIds. The transport starts with the first answer.
  void Publish(const PublishRequest& request, Callback done);
  // Adds one recvonly audio m-line per audio slot not bound yet (AudioSlots()
  // from `joined`), bound with the offer's `slots` map, in one negotiation.
  void BindAudioSlots(Callback done);
  // Adds a recvonly m-line bound to `trackId` (known from `joined`, a
  // roster page or a `roster` batch) and negotiates; SubscribedTrack() then
  // has the SSRCs.
  void Subscribe(const std::string& trackId, Callback done);
  // The same for a video track, stating the level wanted (an index into
  // VideoLevels(); docs/protocol.md "Simulcast tiers").
  void SubscribeVideo(const std::string& trackId, int level, Callback done);
  // `setVideoLevel` for the active m-line receiving `trackId`. The server
  // does not reply (errors arrive as `error` events); false when no active
  // m-line receives the track or the signalling is closed.
  bool SetVideoLevel(const std::string& trackId, int level);
  // Stops the m-line receiving `trackId` (port 0) and negotiates.
  void Unsubscribe(const std::string& trackId, Callback done);
  // The video wall: one negotiation that subscribes the tracks of both lists
  // that no m-line receives yet and stops the m-lines SetViewport added for
  // tracks in neither list. Prefetched tracks are subscribed like visible
  // ones (layer choice comes with simulcast tiers); the distinction is kept
  // in MediaTrack::prefetch. Tracks not in RemoteTracks() are skipped, and a
  // track the server refuses (unpublished meanwhile) gets its m-line stopped
  // without failing the call. Subscriptions made with Subscribe() are left
  // alone. No offer is sent when nothing changes.
  void SetViewport(std::vector<std::string> visibleTrackIds,
                   std::vector<std::string> prefetchTrackIds, Callback done);
  // Sends `leave` and waits for `left`.
  void Leave(Callback done);

  const std::string& ParticipantId() const { return participantId_; }
  bool Joined() const { return !participantId_.empty(); }
  bool HasLeft() const { return left_; }
  const std::string& LeftReason() const { return leftReason_; }
  bool IsConnected() const { return transport_ && transport_->IsConnected(); }
  // `audioSlots` from `joined` (0 before).
  int AudioSlots() const { return audioSlots_; }
  // `videoLevels` from `joined`: the ladder's heights, smallest first
  // (empty before, or from a server without simulcast tiers).
  const std::vector<int>& VideoLevels() const { return videoLevels_; }
  // The roster version applied last (`joined`, then every newer batch).
  uint64_t RosterVersion() const { return rosterVersion_; }
  // False while roster pages are left to fetch.
  bool RosterComplete() const { return rosterNext_.empty(); }

  const std::vector<MediaTrack>& Tracks() const { return tracks_; }
  // The active published track of `kind`, or nullptr.
  const MediaTrack* PublishedTrack(const std::string& kind) const;
  // The active m-line receiving `trackId`, or nullptr.
  const MediaTrack* SubscribedTrack(const std::string& trackId) const;
  // The receiving m-line a packet with this SSRC (media or RTX) belongs to.
  const MediaTrack* ReceivingTrackBySsrc(uint32_t ssrc) const;
  // The active m-line bound to audio slot `slot`, or nullptr.
  const MediaTrack* SlotTrack(int slot) const;
  // The active slot m-lines, ordered by slot.
  std::vector<const MediaTrack*> SlotTracks() const;
  // The tracks of the last SetViewport.
  const std::vector<std::string>& VisibleTracks() const { return visible_; }
  const std::vector<std::string>& PrefetchTracks() const { return prefetch_; }
  // `warnings` of the last answer.
  const std::vector<AnswerWarning>& LastWarnings() const { return warnings_; }
  // The SDP of the last answer the server sent ("" before the first).
  const std::string& LastAnswerSdp() const { return lastAnswerSdp_; }

  // Others in the room (participantId -> name) and their published tracks.
  const std::map<std::string, std::string>& Participants() const { return participants_; }
  const std::map<std::string, RemoteTrack>& RemoteTracks() const { return remoteTracks_; }
  // Who each audio slot carries, indexed by slot (from the last `speakers`;
  // empty before the first).
  const std::vector<SpeakerSlot>& Speakers() const { return speakers_; }
  // Called for every `speakers` message with the slots and its arrival time.
  void SetSpeakersHandler(
      std::function<void(const std::vector<SpeakerSlot>&, Clock::time_point)> handler) {
    onSpeakers_ = std::move(handler);
  }
  // The newest `tierPlan` per published mid (a plan with a version not
  // above the one kept is ignored, as docs/protocol.md asks), and how many
  // arrived in all.
  const std::map<std::string, TierPlan>& TierPlans() const { return tierPlans_; }
  const TierPlan* TierPlanFor(const std::string& mid) const;
  uint64_t TierPlansReceived() const { return tierPlansReceived_; }
  // Every server-initiated message (events, `left`), in arrival order
  // (unless Options::recordEvents is off).
  const std::vector<Json>& Events() const { return events_; }
  // Called for every server-initiated message after the client applied it.
  void SetEventHandler(std::function<void(const Json&)> handler) { onEvent_ = std::move(handler); }

  // Media. The transport-wide sequence is one counter for all our streams
  // (draft-holmer-rmcat-transport-wide-cc-extensions-01 2).
  uint16_t NextTransportSequence() { return transportSequence_++; }
  bool SendRtp(std::span<const uint8_t> packet) { return transport_->SendRtp(packet); }
  bool SendRtcp(std::span<const uint8_t> compound) { return transport_->SendRtcp(compound); }
  void SetRtpHandler(std::function<void(rtp::RtpPacket&)> handler);
  void SetRtcpHandler(std::function<void(std::span<uint8_t>)> handler);
  // Called with the media SSRC of every PLI (RFC 4585 6.3.1) and every FIR
  // entry (RFC 5104 4.3.1) that arrives, before the RTCP handler sees the
  // compound: where a publisher answers with a key frame.
  void SetKeyFrameRequestHandler(std::function<void(uint32_t mediaSsrc)> handler);
  // Called with every long-term reference RPSI that arrives (rtp/Rpsi.h:
  // kind 1, the aggregate acknowledgement, and kind 2, recover from; both
  // name our published SSRC), before the RTCP handler sees the compound.
  void SetLtrMessageHandler(std::function<void(const rtp::Rpsi::LtrMessage&)> handler);
  // Subscriber side: tells the server we fully decoded long-term reference
  // frame `frameId` of the stream `received` carries (RPSI kind 1, for its
  // SSRC and payload type). False when the track is not active or did not
  // negotiate long-term references, or the transport refused the packet.
  bool SendLtrAcknowledgement(const MediaTrack& received, uint16_t frameId);
  // Our SSRC as the sender of RTCP feedback (NACK, PLI, receiver reports).
  uint32_t RtcpSsrc() const { return rtcpSsrc_; }
  // The transport-wide feedback we send (Options::sendTransportFeedback),
  // or nullptr when off.
  const TransportFeedbackReporter* TransportFeedback() const { return transportFeedback_.get(); }

  // A synthetic source for a published track with its negotiated SSRC,
  // payload type and extension ids. For simulcast video, `rid` picks the
  // stream (its SSRC, and the rid header extension).
  SyntheticMediaSource::Config SourceConfigFor(const MediaTrack& published, uint32_t seed,
                                               const std::string& rid = "") const;

  // The control data channel (Options::controlChannel). Open once SCTP is
  // up and the client has opened the channel (messages may flow at once;
  // DCEP keeps them behind the OPEN), until either side closes it or the
  // transport goes.
  bool ControlChannelOpen() const;
  // The application m-line of the last answer: accepted (port != 0), and
  // its a=sctp-port / a=max-message-size (0 when absent).
  bool ControlChannelNegotiated() const { return controlNegotiated_; }
  uint16_t RemoteSctpPort() const { return remoteSctpPort_; }
  uint32_t RemoteMaxMessageSize() const { return remoteMaxMessageSize_; }
  // Why the channel is not open after it was negotiated ("" when it is, or
  // was never tried): SCTP failed or was shut down, the channel was closed.
  const std::string& ControlChannelError() const { return controlError_; }
  // Adds the application m-line when the client has none and negotiates
  // (nothing to negotiate: done("") at once); done with an error when the
  // answer rejects it. Needs Options::controlChannel. The channel opens
  // later, when SCTP is up: see ControlChannelOpen and
  // SetControlChannelHandler.
  void NegotiateControlChannel(Callback done);
  // Called when the channel opens (true) and when it stops being open
  // (false).
  void SetControlChannelHandler(std::function<void(bool open)> handler) {
    onControlChannel_ = std::move(handler);
  }
  // One message on the channel as JSON text, numbered ("seq") and sent
  // twice as the protocol asks. False when the channel is not open or SCTP
  // refused it.
  bool SendControl(const Json& message);
  // Like Signaling().Request, on the channel: sets "id" and calls `done`
  // with the reply carrying it (`ack`, `error`, `sync`), or nullopt after
  // `timeout` (or at once, posted, when it cannot be sent). Replies do not
  // reach Events().
  void RequestControl(Json message, std::chrono::milliseconds timeout,
                      SignalingClient::ReplyHandler done);
  const ControlChannelCounters& ControlCounters() const { return controlCounters_; }
  // The channel's SCTP stream id (nullopt before it is opened).
  std::optional<uint16_t> ControlStreamId() const { return controlStreamId_; }

  ClientTransport& Transport() { return *transport_; }
  SignalingClient& Signaling() { return signaling_; }
  const server::transport::DtlsCertificate& Certificate() const { return *certificate_; }

 private:
  struct Negotiation {
    // Changes the transceivers and fills the maps below when the offer is
    // made (not when queued, so it sees what earlier offers changed);
    // returns "" or an error. May set `skip` when nothing changed.
    std::function<std::string(Negotiation&)> prepare;
    Json publish = Json::object();
    Json subscribe = Json::object();
    Json slots = Json::object();
    std::vector<std::string> mids;  // the mids this negotiation is about
    // A rejected mid is stopped instead of failing the negotiation.
    bool tolerateRejected = false;
    bool skip = false;
    Callback done;
  };

  // SctpAssociation::Listener (through ClientTransport, which sends the
  // packets itself).
  void OnSctpSendPacket(std::span<const uint8_t> packet) override;
  void OnSctpAssociationUp() override;
  void OnSctpAssociationFailed(std::string_view reason) override;
  void OnSctpAssociationClosed() override;
  void OnDataChannelOpen(uint16_t streamId, std::string_view label,
                         std::string_view protocol) override;
  void OnDataChannelMessage(uint16_t streamId, std::span<const uint8_t> message,
                            bool binary) override;
  void OnDataChannelClosed(uint16_t streamId) override;

  // Adds the application m-line (Options::controlChannel) when there is
  // none; returns whether it did.
  bool AddApplicationLine(Negotiation& negotiation, bool required);
  // The answer's application m-line at lines_[index].
  void ApplyApplicationAnswer(size_t index, const signaling::SdpMediaSection* section,
                              bool listedRejected);
  // One received control message, in sequence: a reply or a server message.
  void HandleControlMessage(Json message);
  void ControlChannelLost(const std::string& reason);
  bool SendControlText(const std::string& text);
  void ScheduleControlCopies();
  void FailControlRequests();

  // Leave's wait for `left`: it fails with `error` after `timeout`.
  void ArmLeaveTimer(std::chrono::milliseconds timeout, const char* error);
  // How long Leave waits for `left` on the control channel once the server
  // has closed the WebSocket.
  static constexpr std::chrono::milliseconds kLeftOnChannelGrace{1000};

  void OnServerMessage(const Json& message);
  void ApplySnapshot(const Json& message);
  void ApplyRoster(const Json& message);
  void ApplySpeakers(const Json& message);
  void ApplyTierPlan(const Json& message);
  // The level SetViewport asks for (-1: none), from the options.
  int ViewportLevel(bool prefetch) const;
  void AddSubscription(const std::string& trackId, int videoLevel, Callback done);
  void InstallRtcpHandler();
  // Options::sendTransportFeedback: records a received packet, and keeps
  // the feedback timer running while packets come.
  void RecordTransportSequence(const rtp::RtpPacket& packet);
  void ScheduleTransportFeedback();
  void FetchNextRosterPage(Callback done);
  void Enqueue(Negotiation negotiation);
  void NegotiateNext();
  std::string ApplyAnswer(const Json& answer);
  void AddLine(const OfferMediaLine& line, MediaTrack track);
  std::string NextMid() { return std::to_string(nextMid_++); }
  uint32_t RandomSsrc();
  std::string RandomToken(size_t length, bool iceChars);

  boost::asio::io_context& context_;
  Options options_;
  std::mt19937 random_;
  std::shared_ptr<const server::transport::DtlsCertificate> certificate_;
  std::string offeredFingerprint_;
  SignalingClient signaling_;
  std::unique_ptr<ClientTransport> transport_;
  std::string cname_;
  std::string streamId_;
  uint64_t sessionId_ = 0;
  uint64_t sessionVersion_ = 1;
  uint32_t rtcpSsrc_ = 0;
  uint16_t transportSequence_ = 1;
  unsigned nextMid_ = 0;
  std::string participantId_;
  bool left_ = false;
  std::string leftReason_;
  int audioSlots_ = 0;
  std::vector<int> videoLevels_;
  uint64_t rosterVersion_ = 0;
  std::string rosterNext_;
  std::vector<OfferMediaLine> lines_;
  std::vector<MediaTrack> tracks_;  // parallel to lines_
  std::vector<std::string> visible_;
  std::vector<std::string> prefetch_;
  std::vector<AnswerWarning> warnings_;
  std::string lastAnswerSdp_;
  std::map<std::string, std::string> participants_;
  std::map<std::string, RemoteTrack> remoteTracks_;
  std::vector<SpeakerSlot> speakers_;
  std::function<void(const std::vector<SpeakerSlot>&, Clock::time_point)> onSpeakers_;
  std::map<std::string, TierPlan> tierPlans_;
  uint64_t tierPlansReceived_ = 0;
  std::function<void(std::span<uint8_t>)> onRtcp_;
  // The caller's RTP handler when the feedback recorder sits in front of it.
  std::function<void(rtp::RtpPacket&)> onRtp_;
  std::unique_ptr<TransportFeedbackReporter> transportFeedback_;
  // The transport-wide-cc extension id of what we receive (from the last
  // answer; one id for the whole BUNDLE group), 0 = not negotiated.
  uint8_t receiveTransportCcId_ = 0;
  boost::asio::steady_timer feedbackTimer_;
  bool feedbackTimerRunning_ = false;
  std::function<void(uint32_t)> onKeyFrameRequest_;
  std::function<void(const rtp::Rpsi::LtrMessage&)> onLtrMessage_;
  std::vector<Json> events_;
  std::function<void(const Json&)> onEvent_;
  std::deque<Negotiation> negotiations_;
  bool negotiating_ = false;
  Callback leaveDone_;
  boost::asio::steady_timer leaveTimer_;

  // The control data channel (Options::controlChannel).
  bool controlNegotiated_ = false;
  uint16_t remoteSctpPort_ = 0;
  uint32_t remoteMaxMessageSize_ = 0;
  bool dataChannelsEnabled_ = false;
  std::shared_ptr<SctpTimerDriver> sctpTimers_;
  std::optional<uint16_t> controlStreamId_;
  bool controlOpen_ = false;
  std::string controlError_;
  std::function<void(bool)> onControlChannel_;
  signaling::ControlSequencer controlSequencer_;
  ControlChannelCounters controlCounters_;
  // Second copies waiting for their time, in order.
  struct ControlCopy {
    Clock::time_point due;
    std::string text;
  };
  std::deque<ControlCopy> controlCopies_;
  boost::asio::steady_timer controlCopyTimer_;
  bool controlCopyTimerRunning_ = false;
  struct PendingControlRequest {
    SignalingClient::ReplyHandler done;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  std::map<int64_t, PendingControlRequest> controlRequests_;
  int64_t nextControlRequestId_ = 1;

  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace myriad::loadtest
