#include "server/transport/DtlsContext.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <map>
#include <mutex>

namespace myriad::server::transport {
namespace {

// Forward-secret suites only (ECDHE), AEAD first. ECDSA suites serve our own
// certificate; the RSA ones let us talk to an RSA-keyed peer when we are the
// client.
// AEAD suites only: with OpenSSL 3.0 a single forged record under a CBC
// suite (bad MAC with encrypt-then-MAC) is fatal to the association, so one
// spoofed datagram could end a call; AEAD records that fail are discarded.
// Every browser offers these.
constexpr const char* kCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";

// RFC 7714 14.2 / RFC 5764 4.1.2 names as OpenSSL spells them. The server
// picks the first of its own list the client offers, so GCM wins when both
// sides support it.
constexpr const char* kSrtpProfiles = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";

// The chain is not what authenticates a WebRTC peer, its fingerprint is
// (RFC 8842 5): accept whatever the peer presents, self-signed included, and
// let DtlsTransport compare digests once the handshake is done.
int AcceptAnyCertificate(int /*preverifyOk*/, X509_STORE_CTX* /*store*/) { return 1; }

std::mutex& CacheMutex() {
  static std::mutex mutex;
  return mutex;
}

std::map<const DtlsCertificate*, std::weak_ptr<DtlsContext>>& Cache() {
  static std::map<const DtlsCertificate*, std::weak_ptr<DtlsContext>> cache;
  return cache;
}

}  // namespace

std::shared_ptr<DtlsContext> DtlsContext::ForCertificate(const DtlsCertificate& certificate) {
  std::lock_guard lock(CacheMutex());
  auto& cache = Cache();
  if (auto it = cache.find(&certificate); it != cache.end()) {
    auto cached = it->second.lock();
    // A certificate freed and another allocated at the same address would
    // hit a stale entry: compare the certificate itself before reusing.
    if (cached &&
        X509_cmp(SSL_CTX_get0_certificate(cached->Get()), certificate.Certificate()) == 0) {
      return cached;
    }
  }
  for (auto it = cache.begin(); it != cache.end();) {
    it = it->second.expired() ? cache.erase(it) : std::next(it);
  }
  auto created = Create(certificate);
  if (created) cache[&certificate] = created;
  return created;
}

std::shared_ptr<DtlsContext> DtlsContext::Create(const DtlsCertificate& certificate) {
  SSL_CTX* context = SSL_CTX_new(DTLS_method());
  if (context == nullptr) return nullptr;
  std::shared_ptr<DtlsContext> owner(new DtlsContext(context));

  // RFC 8827 6.5: DTLS 1.2 or later; DTLS 1.0 is refused. OpenSSL 3.0 has no
  // DTLS 1.3.
  const long options = SSL_OP_NO_QUERY_MTU |      // we set the MTU ourselves
                       SSL_OP_NO_TICKET |         // no resumption in WebRTC
                       SSL_OP_NO_RENEGOTIATION |  // WebRTC never renegotiates
                       SSL_OP_CIPHER_SERVER_PREFERENCE;
  SSL_CTX_set_options(context, options);
  SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     AcceptAnyCertificate);
  if (SSL_CTX_set_min_proto_version(context, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(context, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate(context, certificate.Certificate()) != 1 ||
      SSL_CTX_use_PrivateKey(context, certificate.PrivateKey()) != 1 ||
      SSL_CTX_check_private_key(context) != 1 ||
      SSL_CTX_set_cipher_list(context, kCipherList) != 1 ||
      SSL_CTX_set1_groups_list(context, "X25519:P-256:P-384") != 1 ||
      // Returns 0 on success, unlike everything around it.
      SSL_CTX_set_tlsext_use_srtp(context, kSrtpProfiles) != 0) {
    return nullptr;
  }
  return owner;
}

DtlsContext::~DtlsContext() { SSL_CTX_free(context_); }

}  // namespace myriad::server::transport
