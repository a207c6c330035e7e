#include "server/transport/DtlsCertificate.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <array>

namespace myriad::server::transport {
namespace {

constexpr long kValiditySeconds = 30L * 24 * 60 * 60;

struct X509Deleter {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BignumDeleter {
  void operator()(BIGNUM* number) const { BN_free(number); }
};

// A random positive 63-bit serial: RFC 5280 4.1.2.2 wants it positive and
// unique per issuer, and a fresh self-signed issuer per process makes 63
// random bits plenty.
bool SetRandomSerial(X509* certificate) {
  std::array<unsigned char, 8> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) return false;
  random[0] &= 0x7F;
  random[0] |= 0x01;  // never zero
  std::unique_ptr<BIGNUM, BignumDeleter> serial(
      BN_bin2bn(random.data(), static_cast<int>(random.size()), nullptr));
  return serial && BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate)) != nullptr;
}

std::string Sha256Fingerprint(X509* certificate) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), digest.data(), &length) != 1) return {};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text;
  text.reserve(size_t{length} * 3);
  for (unsigned int i = 0; i < length; ++i) {
    if (i > 0) text.push_back(':');
    text.push_back(kHex[digest[i] >> 4]);
    text.push_back(kHex[digest[i] & 0x0F]);
  }
  return text;
}

}  // namespace

std::unique_ptr<DtlsCertificate> DtlsCertificate::Generate() {
  // ECDSA P-256: what browsers generate for WebRTC, and small enough that the
  // whole server flight fits one datagram.
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(EVP_EC_gen("P-256"));
  if (!key) return nullptr;

  std::unique_ptr<X509, X509Deleter> certificate(X509_new());
  if (!certificate) return nullptr;
  X509* x509 = certificate.get();
  if (X509_set_version(x509, X509_VERSION_3) != 1 || !SetRandomSerial(x509) ||
      X509_gmtime_adj(X509_getm_notBefore(x509), -kValiditySeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(x509), kValiditySeconds) == nullptr ||
      X509_set_pubkey(x509, key.get()) != 1) {
    return nullptr;
  }
  X509_NAME* name = X509_get_subject_name(x509);
  static constexpr unsigned char kCommonName[] = "myriad";
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, kCommonName, -1, -1, 0) != 1 ||
      X509_set_issuer_name(x509, name) != 1 || X509_sign(x509, key.get(), EVP_sha256()) <= 0) {
    return nullptr;
  }
  std::string fingerprint = Sha256Fingerprint(x509);
  if (fingerprint.empty()) return nullptr;
  return std::unique_ptr<DtlsCertificate>(
      new DtlsCertificate(certificate.release(), key.release(), std::move(fingerprint)));
}

DtlsCertificate::DtlsCertificate(X509* certificate, EVP_PKEY* privateKey,
                                 std::string fingerprintSha256)
    : certificate_(certificate),
      privateKey_(privateKey),
      fingerprintSha256_(std::move(fingerprintSha256)) {}

DtlsCertificate::~DtlsCertificate() {
  X509_free(certificate_);
  EVP_PKEY_free(privateKey_);
}

}  // namespace myriad::server::transport
