#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>

namespace myriad::server::transport {

// The server's DTLS identity: a self-signed ECDSA P-256 certificate with a
// random serial, valid from 30 days ago to 30 days ahead. WebRTC peers do not
// check the chain; they compare the certificate's digest with the
// a=fingerprint the SDP carried (RFC 8122 5, RFC 8842 5). Immutable once
// generated, so one instance can be shared by every transport and thread.
class DtlsCertificate {
 public:
  // nullptr if OpenSSL fails.
  static std::unique_ptr<DtlsCertificate> Generate();
  ~DtlsCertificate();

  DtlsCertificate(const DtlsCertificate&) = delete;
  DtlsCertificate& operator=(const DtlsCertificate&) = delete;

  // SHA-256 of the DER certificate as "AB:CD:..." (uppercase hex, colons), the
  // form of SDP a=fingerprint:sha-256 (RFC 8122 5).
  const std::string& FingerprintSha256() const { return fingerprintSha256_; }
  X509* Certificate() const { return certificate_; }
  EVP_PKEY* PrivateKey() const { return privateKey_; }

 private:
  DtlsCertificate(X509* certificate, EVP_PKEY* privateKey, std::string fingerprintSha256);

  X509* certificate_;
  EVP_PKEY* privateKey_;
  std::string fingerprintSha256_;
};

}  // namespace myriad::server::transport
