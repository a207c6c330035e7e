#pragma once

#include <array>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "rtp/RtpPacket.h"
#include "rtp/StunMessage.h"
#include "server/transport/DtlsTransport.h"
#include "server/transport/IceLiteAgent.h"
#include "server/transport/PacketSender.h"
#include "server/transport/SctpAssociation.h"
#include "server/transport/SctpStack.h"
#include "server/transport/SrtpSession.h"

namespace myriad::server::transport {

// One participant's WebRTC transport on the server: ICE-lite, DTLS server
// role, SRTP. It demultiplexes what the worker hands it (RFC 7983), decrypts
// media and passes it up, and encrypts and sends what the room gives it.
// Lives on one worker thread; not thread-safe by design (house rule 4).
class WebRtcTransport : public DtlsTransport::Listener, private SctpAssociation::Listener {
 public:
  using Clock = std::chrono::steady_clock;
  using Endpoint = boost::asio::ip::udp::endpoint;

  // Room-side consumer of the transport's events.
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnTransportConnected() = 0;
    // The transport is dead (consent expired, DTLS failed or closed by the
    // peer). Called at most once; the listener must not destroy the transport
    // from inside the callback (post the removal instead).
    virtual void OnTransportClosed(std::string_view reason) = 0;
    virtual void OnRtpPacket(rtp::RtpPacket& packet, Clock::time_point now) = 0;
    virtual void OnRtcpPacket(std::span<uint8_t> compound, Clock::time_point now) = 0;
    // Data channels (EnableDataChannels): a channel the peer opened, one message on it, its
    // close. The defaults ignore them.
    virtual void OnDataChannelOpen(uint16_t /*streamId*/, std::string_view /*label*/) {}
    virtual void OnDataChannelMessage(uint16_t /*streamId*/, std::span<const uint8_t> /*message*/,
                                      bool /*binary*/) {}
    virtual void OnDataChannelClosed(uint16_t /*streamId*/) {}
  };

  struct Options {
    std::chrono::milliseconds consentTimeout{30000};
  };

  // Buffers handed to SendRtp/SendRtcp must have this much room after the
  // packet for the SRTP authentication tag.
  static constexpr size_t kSrtpTrailerRoom = SrtpSession::kMaxTrailer;

  WebRtcTransport(const DtlsCertificate& certificate, PacketSender& sender, Listener& listener,
                  Options options, Clock::time_point now);
  ~WebRtcTransport() override;
  WebRtcTransport(const WebRtcTransport&) = delete;
  WebRtcTransport& operator=(const WebRtcTransport&) = delete;

  const std::string& LocalUfrag() const { return ice_.LocalUfrag(); }
  const std::string& LocalPassword() const { return ice_.LocalPassword(); }
  void SetRemoteParameters(std::string remoteUfrag, std::string_view fingerprintAlgorithm,
                           std::string_view fingerprint);

  // From the worker. ProcessStun returns true when `from` passed a check and
  // may now be routed to this transport.
  bool ProcessStun(const rtp::StunMessage& message, const Endpoint& from, Clock::time_point now);
  void ProcessDtls(std::span<const uint8_t> datagram, const Endpoint& from);
  void ProcessSrtp(std::span<uint8_t> datagram, const Endpoint& from, Clock::time_point now);

  // Encrypt `length` bytes of plain RTP/RTCP in `buffer` in place and send.
  bool SendRtp(std::span<uint8_t> buffer, size_t length);
  bool SendRtcp(std::span<uint8_t> buffer, size_t length);

  // WebRTC data channels (RFC 8831) on this transport, once an answer accepted the offer's
  // application m-line: SCTP over the DTLS connection, started as soon as DTLS is up. `post`
  // runs a task later on this transport's thread (SctpStack's threading contract). Repeated
  // calls keep the first association.
  void EnableDataChannels(const SctpAssociation::Options& options, SctpStack::Post post);
  bool DataChannelsEnabled() const { return sctp_ != nullptr; }
  // A text message on an open channel; false when it cannot be sent or queued.
  bool SendDataChannelText(uint16_t streamId, std::string_view text);
  // The association has more queued than its congestion window (SctpAssociation): what is sent
  // now waits behind it.
  bool DataChannelQueueBeyondWindow() const { return sctp_ && sctp_->SendQueueBeyondWindow(); }
  // Closes a channel (stream reset, RFC 8831 6.7): the peer sees it close.
  void CloseDataChannel(uint16_t streamId);

  // Drives DTLS retransmission and ICE consent; call every few milliseconds.
  void OnTick(Clock::time_point now);
  void Close(std::string_view reason);

  bool IsConnected() const { return srtpOutbound_ != nullptr && !closed_; }
  bool IsClosed() const { return closed_; }
  std::optional<Endpoint> SelectedEndpoint() const { return ice_.SelectedEndpoint(); }

 private:
  // DtlsTransport::Listener
  void OnDtlsSendPacket(std::span<const uint8_t> datagram) override;
  void OnDtlsConnected(const SrtpKeyMaterial& keys) override;
  void OnDtlsFailed(std::string_view reason) override;
  void OnDtlsApplicationData(std::span<const uint8_t> data) override;
  void OnDtlsClosed() override;

  // SctpAssociation::Listener
  void OnSctpSendPacket(std::span<const uint8_t> packet) override;
  void OnSctpAssociationUp() override;
  void OnSctpAssociationFailed(std::string_view reason) override;
  void OnSctpAssociationClosed() override;
  void OnDataChannelOpen(uint16_t streamId, std::string_view label,
                         std::string_view protocol) override;
  void OnDataChannelMessage(uint16_t streamId, std::span<const uint8_t> message,
                            bool binary) override;
  void OnDataChannelClosed(uint16_t streamId) override;

  PacketSender& sender_;
  Listener& listener_;
  Options options_;
  Clock::time_point createdAt_;
  IceLiteAgent ice_;
  std::unique_ptr<DtlsTransport> dtls_;
  std::unique_ptr<SrtpSession> srtpInbound_;
  std::unique_ptr<SrtpSession> srtpOutbound_;
  std::unique_ptr<SctpAssociation> sctp_;
  std::optional<Clock::time_point> nextDtlsTimeout_;
  bool closed_ = false;
  std::array<uint8_t, 1500> stunBuffer_{};
};

}  // namespace myriad::server::transport
