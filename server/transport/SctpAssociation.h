#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rtp/DataChannelOpen.h"
#include "server/transport/DtlsTransport.h"
#include "server/transport/SctpStack.h"

struct socket;  // usrsctp's, kept out of this header

namespace myriad::server::transport {

// One SCTP association (RFC 9260) over one DTLS transport, carrying WebRTC data channels
// (RFC 8831) opened with the Data Channel Establishment Protocol (RFC 8832). usrsctp does the
// SCTP; this class does the data channel layer and the threading contract of SctpStack.
//
// SCTP packets come in through ProcessSctpPacket (DTLS application data) and go out through
// Listener::OnSctpSendPacket (to DtlsTransport::SendApplicationData). Both endpoints connect
// (Start) as browsers do; SCTP resolves the INIT collision (RFC 9260 5.2.1).
//
// Data channels: OpenDataChannel picks a free stream id of this side's parity (RFC 8832 6: the
// DTLS client uses even ids, the DTLS server odd ones) and sends DATA_CHANNEL_OPEN; a peer's
// OPEN is acknowledged and reported with OnDataChannelOpen. Messages carry the PPIDs of
// RFC 8831 8 (51 string, 53 binary, 56/57 empty string/binary, 50 DCEP). Closing a channel
// resets its outgoing stream, the peer resets its own in turn (RFC 8831 6.7), and both sides
// report OnDataChannelClosed once both directions are reset; the id can then be reused.
//
// Sending never blocks: usrsctp takes what its send buffer holds (explicit EOR lets it take
// part of a message; no message may exceed the buffer) and the rest waits in a queue here,
// bounded by Options::maxBufferedAmount, flushed as SACKs free space. Messages sent before the
// association is up wait there too, so a channel can be opened and used at once.
//
// Threading: the association belongs to the thread that constructs it; every method must be
// called there, and it must be destroyed there. `post` runs a task on that thread later (see
// SctpStack::Post). Listener callbacks run on that thread, never inside usrsctp, except
// OnSctpSendPacket (see there). A listener may call Send, OpenDataChannel and CloseDataChannel
// from its callbacks but must not destroy the association in them. Never throws.
class SctpAssociation {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // An SCTP packet for the peer, at most Options::mtu bytes; the span is valid during the
    // call only. Usually called from inside usrsctp: must not call back into this association
    // (hand it to DTLS, or queue it).
    virtual void OnSctpSendPacket(std::span<const uint8_t> packet) = 0;
    // The association is established (messages queued before now start flowing).
    virtual void OnSctpAssociationUp() = 0;
    // The association could not be set up, or was lost (retransmission limit, the peer's
    // ABORT). Final: nothing more is delivered and nothing can be sent.
    virtual void OnSctpAssociationFailed(std::string_view reason) = 0;
    // The peer shut the association down gracefully (SHUTDOWN). Final as well.
    virtual void OnSctpAssociationClosed() = 0;
    // The peer opened a data channel (its DATA_CHANNEL_OPEN, already acknowledged). Channels
    // this side opens are not reported: they are usable from OpenDataChannel on.
    virtual void OnDataChannelOpen(uint16_t streamId, std::string_view label,
                                   std::string_view protocol) = 0;
    // One complete message; `binary` tells PPID 53/57 from 51/56.
    virtual void OnDataChannelMessage(uint16_t streamId, std::span<const uint8_t> message,
                                      bool binary) = 0;
    // Both directions of the channel's stream are reset (whichever side closed it).
    virtual void OnDataChannelClosed(uint16_t streamId) = 0;
  };

  // RFC 8841 5: a=sctp-port is 5000 unless the SDP says otherwise, on both sides.
  static constexpr uint16_t kDefaultPort = 5000;
  // The largest SCTP packet whose DTLS record still fits DtlsTransport::kMtu: 13 bytes of
  // record header and at most 24 of AES-GCM explicit nonce and tag (ChaCha20-Poly1305 needs
  // 16), the only ciphers DtlsContext offers.
  static constexpr size_t kDefaultMtu = DtlsTransport::kMtu - 13 - 24;

  // Defaults tuned for conference control (target: 99.5% of messages within 200 ms at 5% loss
  // and 60 ms RTT). SCTP's own defaults (RFC 9260 16, usrsctp's) suit bulk transfer: RTO.Initial
  // 3 s, RTO.Min 1 s, RTO.Max 60 s, SACKs delayed up to 200 ms, so a lost message waits for fast
  // retransmit or a second, and a short outage backs the timer off towards a minute.
  // myriad-bench-sctp (bench/SctpLatencyBench.cpp) measures these against SCTP's defaults; no
  // timer setting alone reaches the target for ordered messages at 20/s (see there).
  struct Options {
    uint16_t localPort = kDefaultPort;
    uint16_t remotePort = kDefaultPort;
    // Streams offered in each direction (INIT's OS and MIS). Data channel ids are stream ids,
    // so this bounds the number of channels; usrsctp keeps per-stream state, hence not 65535.
    uint16_t maxStreams = 1024;
    // Largest SCTP packet we produce (path MTU discovery is off: DTLS sets the size).
    size_t mtu = kDefaultMtu;
    // Largest message we accept: the a=max-message-size to announce (RFC 8841 6). Bigger ones
    // are dropped, as are their parts.
    size_t maxMessageSize = 256 * 1024;
    // Largest message the peer accepts: its a=max-message-size, or 64 KiB when its SDP has
    // none (RFC 8841 6); 0 means it set no limit (usrsctp's send buffer still bounds a
    // message: SctpStack::kSendBufferSize).
    size_t remoteMaxMessageSize = 64 * 1024;
    // Bytes Send may queue here beyond what usrsctp's send buffer took; Send refuses a
    // message that does not fit.
    size_t maxBufferedAmount = 1024 * 1024;

    // Retransmission timeout (RFC 9260 6.3.1). With prompt SACKs the RTO settles at RTO.Min
    // (SRTT + 4 RTTVAR falls below it on a steady path), and a message lost once arrives about
    // RTO.Min + one-way delay after it was sent, or up to an RTT later when the timer was just
    // restarted by the previous message's SACK (RFC 9260 6.3.2 R3). 100 ms keeps that near
    // 200 ms at 60 ms RTT while leaving 40 ms of RTT jitter before a timeout fires for a
    // message that is not lost (a spurious retransmission, which also collapses the congestion
    // window to one packet). The benchmark finds 80 ms only a little better, 120 ms a little
    // worse. RTO.Max caps the exponential back-off: after a message is lost twice, or an
    // outage, the next try comes within 0.8 s instead of up to a minute; it stays above RTT
    // plus a browser's 200 ms delayed SACK on any usable path, so it does not turn into
    // periodic spurious retransmissions. RTO.Initial applies until the first RTT sample (INIT,
    // first messages) and is above the RTT of the paths we serve, so INITs are not resent
    // needlessly.
    std::chrono::milliseconds rtoInitial{300};
    std::chrono::milliseconds rtoMin{100};
    std::chrono::milliseconds rtoMax{800};
    // SACK every packet at once (frequency 1) instead of every second packet or after 200 ms
    // (RFC 9260 6.2): control messages are sparse, so a delayed SACK is mostly a 200 ms one,
    // which the peer's RTT estimate would include and its RTO then exceed. The cost is one
    // small SACK per received packet. The delay applies when the frequency is above 1.
    std::chrono::milliseconds sackDelay{20};
    uint32_t sackFrequency = 1;
    // Consecutive timeouts before the association is declared dead (Association.Max.Retrans,
    // also used per path). With the low RTO.Max above, RFC 9260's 10 would end an association
    // after ~6 s without a SACK; 40 (100 + 200 + 400 + 800 ms, then 0.8 s each) keeps it
    // through ~30 s, when ICE consent (RFC 7675) ends the transport anyway.
    uint16_t maxRetransmissions = 40;
    // INIT attempts (Max.Init.Retransmits), RTO.Initial doubling up to RTO.Max: ~12 s.
    uint16_t maxInitRetransmissions = 16;
    // Packets sent at once (RFC 9260 6.1 rule D, Max.Burst), usrsctp's default.
    uint32_t maxBurst = 4;

    // usrsctp's own timer defaults (RFC 9260 16), for comparison in the benchmark.
    static Options SctpDefaults();
  };

  // Per channel (RFC 8832 5.1 channel types and priority).
  struct DataChannelOptions {
    bool ordered = true;
    rtp::DataChannelOpen::Reliability reliability = rtp::DataChannelOpen::Reliability::kReliable;
    // Retransmissions allowed (kPartialReliableRexmit) or lifetime in ms (kPartialReliableTimed).
    uint32_t reliabilityParameter = 0;
    uint16_t priority = 256;  // "normal" in the W3C WebRTC priority mapping
  };

  struct DataChannelInfo {
    std::string label;
    std::string protocol;
    DataChannelOptions options;
    bool openedLocally = false;
    bool acknowledged = false;  // the peer's ACK arrived (always true for the peer's channels)
    bool closing = false;       // a reset is under way
  };

  // SCTP's view of the path (RFC 6458 8.2.1, SCTP_STATUS), for metrics and benchmarks.
  struct PathStatus {
    std::chrono::milliseconds smoothedRtt{0};
    std::chrono::milliseconds rto{0};  // the current retransmission timeout, back-off included
    uint32_t congestionWindow = 0;     // bytes
    uint16_t unacknowledgedChunks = 0;
    uint16_t pendingChunks = 0;  // accepted by usrsctp, not sent yet
  };

  enum class State { kNew, kConnecting, kConnected, kFailed, kClosed };
  // kError: usrsctp refused the message (e.g. a stream beyond what the peer negotiated).
  enum class SendResult { kSent, kQueued, kNotOpen, kTooLarge, kBufferFull, kError };

  struct Counters {
    uint64_t packetsReceived = 0;
    uint64_t packetsDroppedBeforeStart = 0;
    uint64_t messagesSent = 0;  // user messages and DCEP, handed to usrsctp whole
    uint64_t messagesReceived = 0;
    uint64_t messagesDroppedUnknownStream = 0;
    uint64_t messagesDroppedTooLarge = 0;
    uint64_t messagesDroppedSendError = 0;
    uint64_t messagesDroppedUnknownPpid = 0;
    uint64_t dcepDropped = 0;  // malformed, unexpected or conflicting DCEP messages
  };

  // `options` as Options{} for the defaults.
  SctpAssociation(DtlsRole role, Listener& listener, SctpStack::Post post, const Options& options);
  // Deregisters first, so no callback or posted task reaches the object being destroyed, then
  // closes the socket (an ABORT usrsctp may produce then is dropped: call Close first to send
  // it).
  ~SctpAssociation();

  SctpAssociation(const SctpAssociation&) = delete;
  SctpAssociation& operator=(const SctpAssociation&) = delete;

  // Creates the socket and sends INIT. Call once DTLS is connected. False if already started
  // or usrsctp refused (the association is then kFailed, without a callback).
  bool Start();

  // One SCTP packet from DTLS. Dropped before Start (the peer retransmits its INIT).
  void ProcessSctpPacket(std::span<const uint8_t> packet);

  // Opens a channel: a free stream id of this side's parity, and DATA_CHANNEL_OPEN on it.
  // nullopt if there is none left, label or protocol exceeds 65535 bytes, or the association
  // has failed or closed. Messages may be sent at once; until the peer's ACK they go ordered
  // (RFC 8832 6), so none can overtake the OPEN.
  std::optional<uint16_t> OpenDataChannel(std::string_view label, std::string_view protocol,
                                          const DataChannelOptions& options);
  std::optional<uint16_t> OpenDataChannel(std::string_view label, std::string_view protocol) {
    return OpenDataChannel(label, protocol, DataChannelOptions{});
  }

  // One message on an open channel (RFC 8831 6.6: an empty one goes out as one zero byte with
  // PPID 56/57). kSent: usrsctp took it whole; kQueued: part or all waits here.
  SendResult Send(uint16_t streamId, std::span<const uint8_t> message, bool binary);

  // Starts closing a channel: its outgoing stream is reset once everything queued on it has
  // been handed to usrsctp. OnDataChannelClosed follows when the peer has reset its side.
  // False if the channel is unknown or already closing, or the association has failed or
  // closed.
  bool CloseDataChannel(uint16_t streamId);

  // Aborts the association (ABORT to the peer through OnSctpSendPacket, synchronously) and
  // closes the socket; queued messages and channels are dropped. No listener callback
  // follows, and nothing can be sent or opened afterwards. Idempotent.
  void Close();

  State GetState() const { return state_; }
  DtlsRole GetRole() const { return role_; }
  const Options& GetOptions() const { return options_; }
  const Counters& GetCounters() const { return counters_; }
  SctpStack::AssociationId Id() const { return id_; }
  // Bytes accepted by Send that usrsctp has not taken yet.
  size_t BufferedAmount() const { return bufferedAmount_; }
  std::optional<DataChannelInfo> GetDataChannel(uint16_t streamId) const;
  size_t DataChannelCount() const { return channels_.size(); }
  // nullopt unless the association is up.
  std::optional<PathStatus> GetPathStatus() const;
  // What waits to be acknowledged: the bytes usrsctp holds for the association (queued and in
  // flight) plus BufferedAmount(). nullopt unless the association is up.
  std::optional<size_t> UnacknowledgedBytes() const;
  // More is queued than the congestion window lets fly: a message sent now would wait behind
  // what is already queued, not only behind what is in flight. False unless up.
  bool SendQueueBeyondWindow() const;

 private:
  friend class SctpStack;

  struct Channel {
    DataChannelInfo info;
    bool outgoingResetPending = false;  // to request once its queued messages are out
    bool outgoingResetRequested = false;
    bool outgoingResetDone = false;
    bool incomingResetDone = false;
  };

  struct OutgoingMessage {
    uint16_t streamId = 0;
    uint32_t ppid = 0;
    bool ordered = true;
    rtp::DataChannelOpen::Reliability reliability = rtp::DataChannelOpen::Reliability::kReliable;
    uint32_t reliabilityParameter = 0;
    std::vector<uint8_t> bytes;
    size_t offset = 0;  // what usrsctp already took (explicit EOR, RFC 6458 8.1.26)
  };

  // Marks a call into usrsctp, so events it produces wait for the end of the outermost one.
  class UsrsctpCall {
   public:
    explicit UsrsctpCall(SctpAssociation& association);
    ~UsrsctpCall();
    UsrsctpCall(const UsrsctpCall&) = delete;
    UsrsctpCall& operator=(const UsrsctpCall&) = delete;

   private:
    SctpAssociation& association_;
  };

  // From SctpStack, on the owner thread: a packet usrsctp produced or an event it reported
  // during a call on this thread, and the same produced on another thread and posted here.
  void OnUsrsctpPacket(std::span<const uint8_t> packet);
  void OnUsrsctpEvent(SctpInboundEvent event);
  void DeliverPostedPacket(std::span<const uint8_t> packet);
  void DeliverPostedEvent(SctpInboundEvent event);

  bool ConfigureSocket();
  void ConfigurePath();
  bool IsOurParity(uint16_t streamId) const;
  std::optional<uint16_t> AllocateStreamId() const;
  bool UsableForSending() const;

  // Hands the message to usrsctp, or queues (the rest of) it. DCEP bypasses the limit.
  SendResult Enqueue(OutgoingMessage message, bool enforceLimit);
  void FlushOutgoing();
  // 1: all of the message taken, 0: none or part of it (retry later), -1: refused for good.
  int SendToUsrsctp(OutgoingMessage& message);
  void SendDcep(uint16_t streamId, std::span<const uint8_t> message);
  void RequestPendingResets();
  bool HasQueuedMessages(uint16_t streamId) const;

  void DrainEvents();
  void HandleEvent(SctpInboundEvent& event);
  void HandleNotification(std::span<const uint8_t> notification);
  // The peer shut the association down (SHUTDOWN, or its completion): closed, reported once.
  void EndGracefully();
  void HandleAssociationChange(std::span<const uint8_t> notification);
  void HandleStreamReset(std::span<const uint8_t> notification);
  void HandleMessage(uint16_t streamId, uint32_t ppid, std::span<const uint8_t> message);
  void HandleDcep(uint16_t streamId, std::span<const uint8_t> message);
  void FinishCloseIfDone(uint16_t streamId);
  void Fail(std::string_view reason);
  void CloseSocket();

  DtlsRole role_;
  Listener& listener_;
  Options options_;
  SctpStack& stack_;
  SctpStack::AssociationId id_ = 0;
  std::thread::id owner_;
  bool addressRegistered_ = false;
  struct socket* socket_ = nullptr;
  State state_ = State::kNew;
  uint16_t outboundStreams_ = 0;  // negotiated at COMM_UP (min of our OS and the peer's MIS)

  std::map<uint16_t, Channel> channels_;
  std::deque<OutgoingMessage> outgoing_;
  size_t bufferedAmount_ = 0;
  bool flushing_ = false;

  // Events from usrsctp wait here for the end of the outermost call into it.
  std::deque<SctpInboundEvent> events_;
  int usrsctpDepth_ = 0;
  bool draining_ = false;
  bool drainPosted_ = false;

  // A message usrsctp delivers in parts (partial delivery, RFC 6458 8.1.21).
  std::vector<uint8_t> partialMessage_;
  bool partialInProgress_ = false;
  uint16_t partialStreamId_ = 0;
  bool partialTooLarge_ = false;

  Counters counters_;
};

}  // namespace myriad::server::transport
