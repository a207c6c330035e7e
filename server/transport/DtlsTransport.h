#pragma once

#include <openssl/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/transport/DtlsCertificate.h"
#include "server/transport/SrtpProfile.h"

namespace myriad::server::transport {

class DtlsContext;

// Which side of the DTLS handshake we play (RFC 8842 5.3: a=setup:active is
// the client, a=setup:passive the server).
enum class DtlsRole { kClient, kServer };

// DTLS 1.2 (RFC 6347) over datagrams the caller moves, with DTLS-SRTP key
// export (RFC 5764) and fingerprint authentication (RFC 8842 5). OpenSSL never
// touches a socket: datagrams come in through ProcessPacket and go out through
// Listener::OnDtlsSendPacket, at most kMtu bytes each. Time is also the
// caller's: it asks TimeUntilTimeout after each call and calls HandleTimeout
// when that much time has passed.
//
// The remote fingerprint may arrive before or after the handshake finishes
// (an offer's answer can trail the peer's ClientHello): the transport only
// reports OnDtlsConnected once both the handshake is done and the peer's
// certificate matched it.
//
// Not thread-safe: one transport is used from one thread. Never throws:
// failures end in Listener::OnDtlsFailed. Callbacks run after OpenSSL has
// returned, so a listener may call SendApplicationData or Close from inside
// one, but must not destroy the transport there.
class DtlsTransport {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // A datagram to hand to UDP. The span is valid during the call only.
    virtual void OnDtlsSendPacket(std::span<const uint8_t> datagram) = 0;
    // The handshake completed and the peer's certificate matched the remote
    // fingerprint.
    virtual void OnDtlsConnected(const SrtpKeyMaterial& keys) = 0;
    // Handshake error, fatal alert, retransmission limit or fingerprint
    // mismatch. The transport is then dead.
    virtual void OnDtlsFailed(std::string_view reason) = 0;
    // One DTLS record of application data (an SCTP packet for data channels).
    virtual void OnDtlsApplicationData(std::span<const uint8_t> data) = 0;
    // The peer sent close_notify.
    virtual void OnDtlsClosed() = 0;
  };

  enum class State { kNew, kConnecting, kConnected, kFailed, kClosed };

  // Largest datagram we send: leaves room for IPv6 + UDP + TURN framing under
  // a 1280-byte path MTU.
  static constexpr size_t kMtu = 1200;
  // RFC 6347 4.2.4.1 suggests 1 s doubling to 60 s; WebRTC wants a faster
  // start, and a handshake that is not done after kMaxRetransmissions is
  // given up.
  static constexpr std::chrono::milliseconds kDefaultInitialRetransmitTimeout{500};
  static constexpr std::chrono::milliseconds kDefaultMaxRetransmitTimeout{8000};
  static constexpr int kMaxRetransmissions = 8;
  static constexpr std::chrono::milliseconds kMinRetransmitTimeout{20};

  DtlsTransport(const DtlsCertificate& certificate, DtlsRole role, Listener& listener);
  ~DtlsTransport();

  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  // Before Start: the first retransmission timeout and its cap (each timeout
  // doubles the next one). Values under kMinRetransmitTimeout are raised to
  // it: OpenSSL counts a timer with less than 15 ms left as expired, so a
  // shorter one would make it retransmit in a loop inside every read.
  void SetRetransmitTimeouts(std::chrono::milliseconds initial, std::chrono::milliseconds maximum);

  // a=fingerprint from the remote SDP (RFC 8122 5): algorithm "sha-1",
  // "sha-224", "sha-256", "sha-384" or "sha-512" in any case, and the digest
  // as hex pairs separated by colons, any case. A malformed value makes the
  // handshake fail when it completes. Ignored once connected.
  void SetRemoteFingerprint(std::string_view algorithm, std::string_view fingerprint);

  // Client: sends the ClientHello. Server: waits for one. Datagrams that
  // arrive before Start are dropped (the peer retransmits).
  void Start();

  // One datagram from the network (RFC 7983: first byte 20..63).
  void ProcessPacket(std::span<const uint8_t> datagram);

  // How long until HandleTimeout should be called, or nullopt when no
  // retransmission timer runs (before Start, once connected, after failure).
  std::optional<std::chrono::milliseconds> TimeUntilTimeout() const;

  // Retransmits the last flight if its timer has expired; fails the transport
  // after kMaxRetransmissions. Calling it early does nothing.
  void HandleTimeout();

  // Sends one record of application data. False unless connected.
  bool SendApplicationData(std::span<const uint8_t> data);

  // Sends close_notify if connected; the transport is then closed. Does not
  // call OnDtlsClosed (that reports the peer's close).
  void Close();

  State GetState() const { return state_; }
  DtlsRole GetRole() const { return role_; }

  // RFC 7983 7: DTLS records start with a content type in 20..63.
  static bool LooksLikeDtls(std::span<const uint8_t> data);

 private:
  // The OpenSSL BIO callbacks reach these through BIO_get_data.
  friend struct DtlsTransportBio;

  void QueueDatagram(std::span<const uint8_t> datagram);
  size_t ReadPendingInput(std::span<uint8_t> out);
  unsigned int NextRetransmitTimeoutUs(unsigned int previousUs);
  static unsigned int TimerCallback(SSL* ssl, unsigned int previousUs);

  void FlushOutput();
  void ContinueHandshake();
  void ReadApplicationData();
  void CompleteIfVerified();
  // RFC 6347 4.1 framing of every record in a datagram, and protected
  // records (epoch > 0) at least as long as the negotiated cipher's overhead.
  bool HasAcceptableRecords(std::span<const uint8_t> datagram) const;
  bool VerifyRemoteFingerprint(std::string& reason) const;
  bool ExportKeys(SrtpKeyMaterial& keys, std::string& reason) const;
  void Fail(std::string reason);
  void FailFromSslError(std::string_view what, int sslError);

  std::shared_ptr<DtlsContext> context_;
  SSL* ssl_ = nullptr;
  DtlsRole role_;
  Listener& listener_;
  State state_ = State::kNew;
  std::string setupError_;  // why the constructor could not build ssl_

  bool handshakeDone_ = false;         // OpenSSL finished; fingerprint may still be pending
  size_t minimumProtectedRecord_ = 0;  // AEAD nonce + tag of the negotiated cipher

  bool remoteFingerprintSet_ = false;
  const EVP_MD* remoteDigest_ = nullptr;  // nullptr: unsupported algorithm
  std::vector<uint8_t> remoteFingerprint_;
  std::string remoteFingerprintError_;

  std::chrono::milliseconds initialRetransmitTimeout_ = kDefaultInitialRetransmitTimeout;
  std::chrono::milliseconds maxRetransmitTimeout_ = kDefaultMaxRetransmitTimeout;
  int retransmissions_ = 0;

  // The datagram ProcessPacket is feeding OpenSSL; consumed by the first read.
  std::span<const uint8_t> pendingInput_;

  // Datagrams OpenSSL wrote during the current call, sent once it returns so
  // that listener code never runs inside OpenSSL. The inner vectors keep
  // their capacity between calls; spans handed out stay valid even if a
  // callback queues more (moving a vector keeps its heap buffer).
  std::vector<std::vector<uint8_t>> outgoing_;
  size_t outgoingCount_ = 0;
  bool flushing_ = false;

  std::vector<uint8_t> readBuffer_;  // one record of application data
  std::string failureReason_;
};

}  // namespace myriad::server::transport
