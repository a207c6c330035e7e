#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdio>
#include <string>

#include "server/transport/DtlsCertificate.h"

using myriad::server::transport::DtlsCertificate;

namespace {

std::string SerialOf(const DtlsCertificate& certificate) {
  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate.Certificate()), nullptr);
  REQUIRE(serial);
  char* hex = BN_bn2hex(serial);
  std::string text(hex);
  OPENSSL_free(hex);
  BN_free(serial);
  return text;
}

}  // namespace

TEST_CASE("DtlsCertificate fingerprint is SHA-256 in SDP form", "[dtls]") {
  const auto certificate = DtlsCertificate::Generate();
  REQUIRE(certificate);
  const std::string& fingerprint = certificate->FingerprintSha256();
  // 32 bytes: 64 hex digits and 31 colons.
  REQUIRE(fingerprint.size() == 95);
  for (size_t i = 0; i < fingerprint.size(); ++i) {
    INFO("position " << i);
    if (i % 3 == 2) {
      CHECK(fingerprint[i] == ':');
    } else {
      CHECK(std::isxdigit(static_cast<unsigned char>(fingerprint[i])));
      CHECK_FALSE(std::islower(static_cast<unsigned char>(fingerprint[i])));
    }
  }
  // It is the digest of the DER certificate.
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  REQUIRE(X509_digest(certificate->Certificate(), EVP_sha256(), digest.data(), &length) == 1);
  REQUIRE(length == 32);
  char expected[4];
  std::snprintf(expected, sizeof(expected), "%02X", digest[31]);
  CHECK(fingerprint.substr(93) == expected);
  std::snprintf(expected, sizeof(expected), "%02X", digest[0]);
  CHECK(fingerprint.substr(0, 2) == expected);
}

TEST_CASE("DtlsCertificate is a self-signed P-256 certificate valid around now", "[dtls]") {
  const auto certificate = DtlsCertificate::Generate();
  REQUIRE(certificate);
  X509* x509 = certificate->Certificate();
  EVP_PKEY* key = certificate->PrivateKey();
  REQUIRE(x509);
  REQUIRE(key);
  CHECK(EVP_PKEY_is_a(key, "EC"));
  CHECK(EVP_PKEY_get_bits(key) == 256);
  CHECK(X509_verify(x509, key) == 1);  // signed by its own key
  CHECK(X509_check_private_key(x509, key) == 1);
  CHECK(X509_NAME_cmp(X509_get_subject_name(x509), X509_get_issuer_name(x509)) == 0);
  CHECK(X509_get_version(x509) == X509_VERSION_3);

  // notBefore about 30 days ago, notAfter about 30 days ahead.
  int days = 0;
  int seconds = 0;
  REQUIRE(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notBefore(x509)) == 1);
  CHECK(days <= -29);
  CHECK(days >= -31);
  REQUIRE(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(x509)) == 1);
  CHECK(days >= 29);
  CHECK(days <= 31);
}

TEST_CASE("each DtlsCertificate has its own key, serial and fingerprint", "[dtls]") {
  const auto first = DtlsCertificate::Generate();
  const auto second = DtlsCertificate::Generate();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->FingerprintSha256() != second->FingerprintSha256());
  CHECK(SerialOf(*first) != SerialOf(*second));
  CHECK(EVP_PKEY_eq(first->PrivateKey(), second->PrivateKey()) != 1);
  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(first->Certificate()), nullptr);
  CHECK_FALSE(BN_is_negative(serial));
  CHECK_FALSE(BN_is_zero(serial));
  BN_free(serial);
}
