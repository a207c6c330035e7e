#include "server/transport/WebRtcTransport.h"

#include <openssl/rand.h>

#include "server/Logging.h"
#include "server/Metrics.h"

namespace myriad::server::transport {
namespace {

// RFC 8445 5.3: ufrag at least 4 and password at least 22 ice-chars; we use
// more, from the OpenSSL CSPRNG, drawn from the ice-char alphabet.
std::string RandomIceString(size_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out(length, 'x');
  std::array<uint8_t, 64> random{};
  RAND_bytes(random.data(), static_cast<int>(random.size()));
  for (size_t i = 0; i < length; ++i) out[i] = kAlphabet[random[i % random.size()] % 64];
  return out;
}

bool IsRtcp(std::span<const uint8_t> data) {
  // RFC 5761 4: with rtcp-mux, packet types 192..223 are RTCP (this range
  // covers SR=200..RTPFB/PSFB=205/206); RTP payload types never use it.
  return data.size() >= 2 && data[1] >= 192 && data[1] <= 223;
}

}  // namespace

WebRtcTransport::WebRtcTransport(const DtlsCertificate& certificate, PacketSender& sender,
                                 Listener& listener, Options options, Clock::time_point now)
    : sender_(sender),
      listener_(listener),
      options_(options),
      createdAt_(now),
      ice_(RandomIceString(16), RandomIceString(32)),
      dtls_(std::make_unique<DtlsTransport>(certificate, DtlsRole::kServer, *this)) {
  dtls_->Start();
  Metrics::Instance().transports().Increment();
}

WebRtcTransport::~WebRtcTransport() { Metrics::Instance().transports().Decrement(); }

void WebRtcTransport::SetRemoteParameters(std::string remoteUfrag,
                                          std::string_view fingerprintAlgorithm,
                                          std::string_view fingerprint) {
  ice_.SetRemoteUfrag(std::move(remoteUfrag));
  dtls_->SetRemoteFingerprint(fingerprintAlgorithm, fingerprint);
}

bool WebRtcTransport::ProcessStun(const rtp::StunMessage& message, const Endpoint& from,
                                  Clock::time_point now) {
  if (closed_) return false;
  const auto result = ice_.HandleRequest(message, from, stunBuffer_, now);
  if (result.outcome == IceLiteAgent::Outcome::kAuthFailed) {
    Metrics::Instance().CountDrop(DropReason::kStunAuthFailed);
    return false;
  }
  if (result.outcome != IceLiteAgent::Outcome::kRespond) return false;
  const std::span<const uint8_t> response(stunBuffer_.data(), result.responseSize);
  if (sender_.SendPacket(response, from)) {
    Metrics::Instance().CountOut(PacketKind::kStun, response.size());
  } else {
    Metrics::Instance().CountDrop(DropReason::kSendFailed);
  }
  return result.endpointValidated;
}

void WebRtcTransport::ProcessDtls(std::span<const uint8_t> datagram, const Endpoint& /*from*/) {
  if (closed_) return;
  dtls_->ProcessPacket(datagram);
  const auto timeout = dtls_->TimeUntilTimeout();
  nextDtlsTimeout_ = timeout ? std::optional(Clock::now() + *timeout) : std::nullopt;
}

void WebRtcTransport::ProcessSrtp(std::span<uint8_t> datagram, const Endpoint& /*from*/,
                                  Clock::time_point now) {
  if (closed_) return;
  if (!srtpInbound_) {
    Metrics::Instance().CountDrop(DropReason::kSrtpNotReady);
    return;
  }
  if (IsRtcp(datagram)) {
    const size_t length = srtpInbound_->UnprotectRtcp(datagram);
    if (length == 0) {
      Metrics::Instance().CountDrop(DropReason::kSrtpUnprotectFailed);
      return;
    }
    Metrics::Instance().CountIn(PacketKind::kRtcp, datagram.size());
    listener_.OnRtcpPacket(datagram.first(length), now);
    return;
  }
  const size_t length = srtpInbound_->UnprotectRtp(datagram);
  if (length == 0) {
    Metrics::Instance().CountDrop(DropReason::kSrtpUnprotectFailed);
    return;
  }
  auto packet = rtp::RtpPacket::Parse(datagram.first(length));
  if (!packet) {
    Metrics::Instance().CountDrop(DropReason::kMalformedRtp);
    return;
  }
  listener_.OnRtpPacket(*packet, now);
}

bool WebRtcTransport::SendRtp(std::span<uint8_t> buffer, size_t length) {
  if (!IsConnected()) return false;
  const auto to = ice_.SelectedEndpoint();
  if (!to) return false;
  const size_t protectedLength = srtpOutbound_->ProtectRtp(buffer, length);
  if (protectedLength == 0) return false;
  if (!sender_.SendPacket(buffer.first(protectedLength), *to)) {
    Metrics::Instance().CountDrop(DropReason::kSendFailed);
    return false;
  }
  return true;
}

bool WebRtcTransport::SendRtcp(std::span<uint8_t> buffer, size_t length) {
  if (!IsConnected()) return false;
  const auto to = ice_.SelectedEndpoint();
  if (!to) return false;
  const size_t protectedLength = srtpOutbound_->ProtectRtcp(buffer, length);
  if (protectedLength == 0) return false;
  if (!sender_.SendPacket(buffer.first(protectedLength), *to)) {
    Metrics::Instance().CountDrop(DropReason::kSendFailed);
    return false;
  }
  Metrics::Instance().CountOut(PacketKind::kRtcp, protectedLength);
  return true;
}

void WebRtcTransport::OnTick(Clock::time_point now) {
  if (closed_) return;
  if (nextDtlsTimeout_ && now >= *nextDtlsTimeout_) {
    dtls_->HandleTimeout();
    if (closed_) return;
    const auto timeout = dtls_->TimeUntilTimeout();
    nextDtlsTimeout_ = timeout ? std::optional(now + *timeout) : std::nullopt;
  }
  // RFC 7675: without a valid check for the consent timeout the peer is gone.
  // A transport that never got one at all expires the same way.
  const auto lastConsent = ice_.LastConsent().value_or(createdAt_);
  if (now - lastConsent > options_.consentTimeout) {
    Metrics::Instance().ice_consent_expired().Increment();
    Close("ice_consent_expired");
  }
}

void WebRtcTransport::Close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  if (dtls_->GetState() == DtlsTransport::State::kConnected) dtls_->Close();
  srtpOutbound_.reset();
  srtpInbound_.reset();
  listener_.OnTransportClosed(reason);
}

void WebRtcTransport::OnDtlsSendPacket(std::span<const uint8_t> datagram) {
  const auto to = ice_.SelectedEndpoint();
  if (!to) return;
  if (sender_.SendPacket(datagram, *to)) {
    Metrics::Instance().CountOut(PacketKind::kDtls, datagram.size());
  } else {
    Metrics::Instance().CountDrop(DropReason::kSendFailed);
  }
}

void WebRtcTransport::OnDtlsConnected(const SrtpKeyMaterial& keys) {
  srtpInbound_ = SrtpSession::Create(keys.profile, SrtpSession::Direction::kInbound,
                                     keys.remoteMasterKeyAndSalt);
  srtpOutbound_ = SrtpSession::Create(keys.profile, SrtpSession::Direction::kOutbound,
                                      keys.localMasterKeyAndSalt);
  if (!srtpInbound_ || !srtpOutbound_) {
    Metrics::Instance().dtls_failures().Increment();
    Close("srtp_setup_failed");
    return;
  }
  Metrics::Instance().dtls_handshakes().Increment();
  if (sctp_) sctp_->Start();
  listener_.OnTransportConnected();
}

void WebRtcTransport::OnDtlsFailed(std::string_view reason) {
  Metrics::Instance().dtls_failures().Increment();
  Logging::Get("transport")->info("DTLS failed for {}: {}", ice_.LocalUfrag(), reason);
  Close("dtls_failed");
}

void WebRtcTransport::OnDtlsApplicationData(std::span<const uint8_t> data) {
  // RFC 8261 3: DTLS application data is SCTP. Without an accepted data
  // channel m-line there is no association and it is dropped.
  if (sctp_) sctp_->ProcessSctpPacket(data);
}

void WebRtcTransport::EnableDataChannels(const SctpAssociation::Options& options,
                                         SctpStack::Post post) {
  if (sctp_ || closed_) return;
  SctpAssociation::Listener& listener =
      *this;  // a private base: converted here, not in make_unique
  sctp_ = std::make_unique<SctpAssociation>(dtls_->GetRole(), listener, std::move(post), options);
  // The DTLS server usually completes first; otherwise OnDtlsConnected starts it.
  if (dtls_->GetState() == DtlsTransport::State::kConnected) sctp_->Start();
}

bool WebRtcTransport::SendDataChannelText(uint16_t streamId, std::string_view text) {
  if (!sctp_) return false;
  const auto result = sctp_->Send(
      streamId,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
      /*binary=*/false);
  return result == SctpAssociation::SendResult::kSent ||
         result == SctpAssociation::SendResult::kQueued;
}

void WebRtcTransport::CloseDataChannel(uint16_t streamId) {
  if (sctp_) sctp_->CloseDataChannel(streamId);
}

void WebRtcTransport::OnSctpSendPacket(std::span<const uint8_t> packet) {
  if (dtls_->GetState() == DtlsTransport::State::kConnected) dtls_->SendApplicationData(packet);
}

void WebRtcTransport::OnSctpAssociationUp() {
  Logging::Get("transport")->debug("SCTP association up for {}", ice_.LocalUfrag());
}

void WebRtcTransport::OnSctpAssociationFailed(std::string_view reason) {
  Logging::Get("transport")->info("SCTP association of {} failed: {}", ice_.LocalUfrag(), reason);
}

void WebRtcTransport::OnSctpAssociationClosed() {
  Logging::Get("transport")->debug("SCTP association of {} closed", ice_.LocalUfrag());
}

void WebRtcTransport::OnDataChannelOpen(uint16_t streamId, std::string_view label,
                                        std::string_view /*protocol*/) {
  listener_.OnDataChannelOpen(streamId, label);
}

void WebRtcTransport::OnDataChannelMessage(uint16_t streamId, std::span<const uint8_t> message,
                                           bool binary) {
  listener_.OnDataChannelMessage(streamId, message, binary);
}

void WebRtcTransport::OnDataChannelClosed(uint16_t streamId) {
  listener_.OnDataChannelClosed(streamId);
}

void WebRtcTransport::OnDtlsClosed() { Close("dtls_closed"); }

}  // namespace myriad::server::transport
