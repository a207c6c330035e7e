#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "loadtest/client/DelayLine.h"
#include "loadtest/client/ImpairmentRelay.h"
#include "loadtest/client/InProcessImpairment.h"
#include "loadtest/client/MultiAddressUdpSocket.h"
#include "rtp/RtpPacket.h"
#include "rtp/StunMessage.h"
#include "server/transport/DtlsCertificate.h"
#include "server/transport/DtlsTransport.h"
#include "server/transport/SctpAssociation.h"
#include "server/transport/SrtpSession.h"

namespace myriad::loadtest {

// The client half of one WebRTC transport, built from the server's own
// DTLS and SRTP code: one UDP socket, a controlling ICE agent that checks
// the server's single host candidate (RFC 8445 7.2.4, nominating it with
// USE-CANDIDATE) and keeps consent alive (RFC 7675), DTLS in the client role
// (the server answers a=setup:passive), then SRTP both ways.
//
// Receives in batches: after an asynchronous wait for readability, one
// non-blocking recvmmsg reads up to kReceiveBatch datagrams into buffers
// shared by every transport of the thread, so a thousand transports on one
// thread cost one wake-up per batch and no memory per transport.
//
// With Options::sharedSocket the transport has no socket of its own: it
// takes a loopback address on that MultiAddressUdpSocket, whose batches
// carry its datagrams (the load generator's mode: one socket per thread).
//
// With Options::addedDelay every datagram it sends and every one it
// receives waits that long in a DelayLine (one per direction) first: a
// network path's latency without the kernel's netem.
//
// With Options::impairment (or Options::impairmentRelay) the transport
// talks to the server through an ImpairmentRelay on loopback: a rate cap,
// a bounded buffer, delay, jitter and loss per direction, changeable while
// it runs (Relay()->SetPathOptions). Start() learns the server's candidate
// from the answer; datagrams then go to, and are accepted only from, the
// relay's front endpoint, and the server sees the relay's back socket as
// this client's address. addedDelay, if also set, adds to the relay's.
//
// With Options::inProcessImpairment the same path model is applied at the
// transport's own socket instead (no relay hop; the load generator's mode
// for a loopback server): every datagram sent and received crosses the
// transport's path there first. It replaces addedDelay and the relay
// options (Open() refuses the combination).
//
// With EnableDataChannels the transport also runs an SCTP association
// (RFC 8831) over its DTLS connection, in the DTLS client's role: DTLS
// application data goes to the association and its packets go out as DTLS
// application data. It starts once DTLS is connected, and its events go to
// the listener given (all but OnSctpSendPacket, which is the transport's).
// Someone must drive the process-wide SCTP timers (SctpTimerDriver).
//
// Runs on one io_context thread. Callbacks run on it and must not destroy
// the transport.
class ClientTransport : public server::transport::DtlsTransport::Listener,
                        public MultiAddressUdpSocket::Receiver,
                        public InProcessImpairment::Path,
                        private server::transport::SctpAssociation::Listener {
 public:
  using Clock = std::chrono::steady_clock;
  using Endpoint = boost::asio::ip::udp::endpoint;

  enum class State { kNew, kChecking, kDtlsConnecting, kConnected, kFailed, kClosed };

  struct Options {
    std::string localAddress = "127.0.0.1";
    // Connectivity checks are retransmitted at this pace until answered
    // (loopback and LAN servers answer at once; RFC 8445 14 allows pacing).
    std::chrono::milliseconds checkInterval{50};
    // RFC 7675 5.1 checks consent every 5 s on average; we check more often
    // so a load test notices a dead server early.
    std::chrono::milliseconds consentInterval{2000};
    // RFC 7675 5.1: consent is lost after 30 s without a response.
    std::chrono::milliseconds consentTimeout{30000};
    // ICE and DTLS must be done by then, or the transport fails.
    std::chrono::milliseconds connectTimeout{10000};
    int receiveBufferBytes = 4 * 1024 * 1024;
    // Not owned; must outlive the transport. localAddress and
    // receiveBufferBytes are then the shared socket's business.
    MultiAddressUdpSocket* sharedSocket = nullptr;
    // Emulated one-way latency added to every datagram sent and to every
    // one received (ICE, DTLS, SRTP alike): 25 ms puts the server 50 ms of
    // round trip away. 0: datagrams go straight through, no line is built.
    std::chrono::milliseconds addedDelay{0};
    // Datagrams each direction's delay line holds at once; more are
    // dropped (Counters::delayLineDrops), like a full router queue.
    size_t delayLineCapacity = 1024;
    // A path with these impairments (LinkImpairment::Options per
    // direction: uplink is client -> server) between the transport and the
    // server: Start() builds an ImpairmentRelay towards the server's
    // candidate (which must be loopback) and the transport owns it; its
    // lines hold delayLineCapacity datagrams per direction.
    std::optional<ImpairmentRelay::PathOptions> impairment;
    // Or a relay someone else owns, shared by many clients (each gets its
    // own mapping, so its own links): not owned, must be open, target the
    // server's candidate, and outlive the transport. Wins over impairment.
    ImpairmentRelay* impairmentRelay = nullptr;
    // Or the relay that leads to the server's candidate, asked for once at
    // Start (the load generator opens one per server media port as its
    // clients learn them); nullptr fails the transport. Same conditions as
    // impairmentRelay; used when that is not set.
    std::function<ImpairmentRelay*(const Endpoint& serverCandidate)> impairmentRelayFor;
    // Or a path of this (not owned; must outlive the transport), seeded
    // from impairmentStream (see InProcessImpairment).
    InProcessImpairment* inProcessImpairment = nullptr;
    uint64_t impairmentStream = 0;
    // Asks the kernel for each datagram's receive time (SO_TIMESTAMPNS,
    // mapped onto the steady clock) instead of taking the time the batch
    // was read: the arrival times transport-wide feedback reports must not
    // carry this thread's scheduling delays, or the server's delay-based
    // estimator reads them as queueing. Own socket only; with sharedSocket
    // the shared socket's batch time is used.
    bool kernelReceiveTimestamps = false;
  };

  struct RemoteParameters {
    std::string iceUfrag;
    std::string icePwd;
    std::string fingerprintAlgorithm = "sha-256";
    std::string fingerprint;
    Endpoint candidate;
  };

  struct Counters {
    uint64_t rtpPacketsSent = 0;
    uint64_t rtpBytesSent = 0;  // before protection
    uint64_t rtcpPacketsSent = 0;
    uint64_t rtcpBytesSent = 0;
    uint64_t rtpPacketsReceived = 0;
    uint64_t rtpBytesReceived = 0;  // after unprotection
    uint64_t rtcpPacketsReceived = 0;
    uint64_t rtcpBytesReceived = 0;
    uint64_t unprotectFailures = 0;  // SRTP/SRTCP authentication or replay
    uint64_t malformedRtp = 0;       // decrypted but not an RTP packet
    uint64_t srtpBeforeConnected = 0;
    uint64_t sendFailures = 0;  // socket refused (buffer full)
    uint64_t stunRequestsSent = 0;
    uint64_t stunResponsesAccepted = 0;
    uint64_t stunResponsesRejected = 0;  // unknown transaction, bad integrity
    uint64_t datagramsFromUnknownSources = 0;
    uint64_t delayLineDrops = 0;  // sent or received, the line was full
    // SCTP packets (DTLS application data) each way, and those that came
    // before there was an association to take them.
    uint64_t sctpPacketsSent = 0;
    uint64_t sctpPacketsReceived = 0;
    uint64_t sctpPacketsWithoutAssociation = 0;
  };

  // Largest plain RTP/RTCP packet SendRtp/SendRtcp accept.
  static constexpr size_t kMaxPacketSize = 1500;
  // Datagrams read per readiness wake-up (one recvmmsg); a socket with more
  // waiting is served again after the other sockets of the thread.
  static constexpr size_t kReceiveBatch = 32;
  static constexpr size_t kMaxDatagramSize = 2048;

  ClientTransport(boost::asio::io_context& context,
                  std::shared_ptr<const server::transport::DtlsCertificate> certificate,
                  std::string localUfrag, std::string localPassword, Options options);
  ~ClientTransport() override;
  ClientTransport(const ClientTransport&) = delete;
  ClientTransport& operator=(const ClientTransport&) = delete;

  // Binds the UDP socket (port 0) and starts receiving, or attaches to the
  // shared socket.
  bool Open(std::string* error);
  Endpoint LocalEndpoint() const;
  const std::string& LocalUfrag() const { return localUfrag_; }
  const std::string& LocalPassword() const { return localPassword_; }

  // From the server's answer: starts ICE checks, then DTLS once one succeeds.
  void Start(RemoteParameters remote);

  // What Start was given (empty before).
  const RemoteParameters& Remote() const { return remote_; }
  // Where datagrams go and come from: the server's candidate, or the
  // impairment relay's front endpoint (empty before Start).
  const Endpoint& PathEndpoint() const { return peer_; }
  // The impairment relay the transport goes through (owned or given), or
  // nullptr (none, or before Start). Change its options here at runtime.
  ImpairmentRelay* Relay() { return relay_; }
  const ImpairmentRelay* Relay() const { return relay_; }
  State GetState() const { return state_; }
  bool IsConnected() const { return state_ == State::kConnected; }
  const std::string& FailureReason() const { return failureReason_; }
  const Counters& GetCounters() const { return counters_; }
  // Round-trip time of the last answered connectivity or consent check.
  std::optional<std::chrono::microseconds> LastCheckRoundTrip() const { return lastRoundTrip_; }
  // When the datagram being handled arrived (see kernelReceiveTimestamps;
  // after the receive delay line with addedDelay): valid inside the RTP and
  // RTCP handlers, the last datagram's afterwards.
  Clock::time_point LastArrival() const { return lastArrival_; }

  // Protect a copy of a plain packet and send it; false unless connected or
  // if the packet is larger than kMaxPacketSize. No allocation.
  bool SendRtp(std::span<const uint8_t> packet);
  bool SendRtcp(std::span<const uint8_t> compound);
  // Sends bytes as they are to the server candidate, through the relay if
  // there is one (tests of hostile input from a validated 5-tuple).
  bool SendRawDatagram(std::span<const uint8_t> datagram);

  void SetRtpHandler(std::function<void(rtp::RtpPacket&)> handler) { onRtp_ = std::move(handler); }
  void SetRtcpHandler(std::function<void(std::span<uint8_t>)> handler) {
    onRtcp_ = std::move(handler);
  }
  void SetStateHandler(std::function<void(State)> handler) { onState_ = std::move(handler); }

  // Runs data channels over this transport with these SCTP options
  // (localPort, remotePort and remoteMaxMessageSize from the answer): the
  // association is created and started when DTLS connects, or at once when
  // it already has. Its events (but OnSctpSendPacket) go to `listener`,
  // which must outlive the transport. Once only; false when already
  // enabled, or the transport has failed or closed.
  bool EnableDataChannels(const server::transport::SctpAssociation::Options& options,
                          server::transport::SctpAssociation::Listener& listener);
  // The association, or nullptr before DTLS connects (or without
  // EnableDataChannels). Open channels and send on it directly.
  server::transport::SctpAssociation* Sctp() { return sctp_.get(); }
  const server::transport::SctpAssociation* Sctp() const { return sctp_.get(); }

  // Stops the timers and closes the socket, after a DTLS close_notify when
  // connected and `notifyPeer` (not when the server already dropped us);
  // an SCTP association is aborted first (an ABORT to the peer when
  // notifying it).
  void Close(bool notifyPeer = true);

 private:
  // DtlsTransport::Listener
  void OnDtlsSendPacket(std::span<const uint8_t> datagram) override;
  void OnDtlsConnected(const server::transport::SrtpKeyMaterial& keys) override;
  void OnDtlsFailed(std::string_view reason) override;
  void OnDtlsApplicationData(std::span<const uint8_t> data) override;
  void OnDtlsClosed() override;
  // SctpAssociation::Listener: packets go out over DTLS, the rest goes on to
  // sctpListener_.
  void OnSctpSendPacket(std::span<const uint8_t> packet) override;
  void OnSctpAssociationUp() override;
  void OnSctpAssociationFailed(std::string_view reason) override;
  void OnSctpAssociationClosed() override;
  void OnDataChannelOpen(uint16_t streamId, std::string_view label,
                         std::string_view protocol) override;
  void OnDataChannelMessage(uint16_t streamId, std::span<const uint8_t> message,
                            bool binary) override;
  void OnDataChannelClosed(uint16_t streamId) override;
  // Creates and starts the association (DTLS connected, data channels on).
  void StartSctp();
  // Aborts and destroys the association (an ABORT to the peer if `notify`).
  void StopSctp(bool notify);
  // MultiAddressUdpSocket::Receiver
  void OnSharedDatagram(std::span<uint8_t> datagram, const Endpoint& from,
                        Clock::time_point now) override;
  // InProcessImpairment::Path
  void SendImpaired(std::span<const uint8_t> datagram, const Endpoint& to) override;
  void ReceiveImpaired(std::span<uint8_t> datagram, const Endpoint& from,
                       Clock::time_point now) override;
  // Leaves options_.inProcessImpairment (flushing what we sent, if asked).
  void DetachImpairment(bool flushUplink);

  void ReceiveNext();
  void ReceiveBatch();
  // A datagram arrived: into the in-process path or the receive delay
  // line, or on to Demultiplex.
  void OnDatagram(std::span<uint8_t> datagram, const Endpoint& from, Clock::time_point now);
  void Demultiplex(std::span<uint8_t> datagram, const Endpoint& from, Clock::time_point now);
  void OnStunResponse(const rtp::StunMessage& message, Clock::time_point now);
  void OnSrtp(std::span<uint8_t> datagram);
  void SendCheck(bool nominate);
  void ScheduleCheck(std::chrono::milliseconds after);
  void RescheduleDtlsTimer();
  void SetState(State state);
  void Fail(std::string reason);
  // Puts the impairment relay, if the options ask for one, on the path to
  // remote_.candidate; false (and failed) when it cannot be.
  bool ConnectRelay();
  // To peer_ (the server or the relay): into the send delay line, or
  // SendDatagramNow.
  bool SendDatagram(std::span<const uint8_t> datagram);
  bool SendDatagramNow(std::span<const uint8_t> datagram, const Endpoint& to);

  std::shared_ptr<const server::transport::DtlsCertificate> certificate_;
  std::string localUfrag_;
  std::string localPassword_;
  boost::asio::io_context& context_;
  Options options_;
  boost::asio::ip::udp::socket socket_;
  std::optional<Endpoint> sharedLocal_;  // our address on options_.sharedSocket
  boost::asio::steady_timer checkTimer_;
  boost::asio::steady_timer dtlsTimer_;
  boost::asio::steady_timer connectTimer_;
  RemoteParameters remote_;
  // remote_.candidate, or the relay's front endpoint.
  Endpoint peer_;
  std::string username_;  // "serverUfrag:clientUfrag" (RFC 8445 7.2.2)
  uint64_t tieBreaker_ = 0;
  std::unique_ptr<server::transport::DtlsTransport> dtls_;
  std::unique_ptr<server::transport::SrtpSession> srtpInbound_;
  std::unique_ptr<server::transport::SrtpSession> srtpOutbound_;
  // Data channels: declared after dtls_, so destroyed before it (the
  // association deregisters first and sends nothing while going).
  std::optional<server::transport::SctpAssociation::Options> sctpOptions_;
  server::transport::SctpAssociation::Listener* sctpListener_ = nullptr;
  std::unique_ptr<server::transport::SctpAssociation> sctp_;
  std::unique_ptr<server::transport::SctpAssociation> retiredSctp_;  // see StopSctp
  State state_ = State::kNew;
  std::string failureReason_;
  Counters counters_;

  // Outstanding check transactions (RFC 5389 7.3.3: a response matches a
  // request by transaction id), oldest overwritten first.
  struct Transaction {
    std::array<uint8_t, 12> id{};
    Clock::time_point sentAt;
    bool used = false;
  };
  std::array<Transaction, 8> transactions_{};
  size_t nextTransaction_ = 0;
  Clock::time_point lastConsent_;
  std::optional<std::chrono::microseconds> lastRoundTrip_;
  Clock::time_point lastArrival_;

  std::function<void(rtp::RtpPacket&)> onRtp_;
  std::function<void(std::span<uint8_t>)> onRtcp_;
  std::function<void(State)> onState_;

  // Protection grows a packet by at most kMaxTrailer. (Receive buffers are
  // shared per thread, see .cpp.)
  alignas(8) std::array<uint8_t,
                        kMaxPacketSize + server::transport::SrtpSession::kMaxTrailer> sendBuffer_{};
  std::array<uint8_t, 512> stunBuffer_{};
  // Only with Options::addedDelay.
  std::unique_ptr<DelayLine> sendDelay_;
  std::unique_ptr<DelayLine> receiveDelay_;
  // Our path on options_.inProcessImpairment, while attached.
  std::optional<uint32_t> impairmentPath_;
  // Only with Options::impairment; relay_ is it or Options::impairmentRelay.
  std::unique_ptr<ImpairmentRelay> ownedRelay_;
  ImpairmentRelay* relay_ = nullptr;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace myriad::loadtest
