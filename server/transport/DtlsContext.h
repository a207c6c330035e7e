#pragma once

#include <openssl/types.h>

#include <memory>

#include "server/transport/DtlsCertificate.h"

namespace myriad::server::transport {

// The OpenSSL SSL_CTX every DtlsTransport of one certificate shares: DTLS 1.2
// only, ECDHE cipher suites, the DTLS-SRTP profiles (RFC 5764 4.1.2) with
// AES-GCM first, a peer certificate required in both roles, and a verify
// callback that accepts any certificate because WebRTC authenticates the peer
// by its SDP fingerprint instead (RFC 8842 5), which DtlsTransport checks
// after the handshake.
//
// Building an SSL_CTX is costly (it parses the cipher list and validates the
// key), so contexts are cached per certificate. The cache holds weak
// references: a context lives as long as some transport holds it.
class DtlsContext {
 public:
  // nullptr if OpenSSL fails. Thread-safe.
  static std::shared_ptr<DtlsContext> ForCertificate(const DtlsCertificate& certificate);
  ~DtlsContext();

  DtlsContext(const DtlsContext&) = delete;
  DtlsContext& operator=(const DtlsContext&) = delete;

  SSL_CTX* Get() const { return context_; }

 private:
  explicit DtlsContext(SSL_CTX* context) : context_(context) {}
  static std::shared_ptr<DtlsContext> Create(const DtlsCertificate& certificate);

  SSL_CTX* context_;
};

}  // namespace myriad::server::transport
