#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "server/transport/SrtpKeyDerivation.h"

using myriad::server::transport::SrtpKeyDerivation;
using myriad::server::transport::SrtpProfile;

namespace {

std::vector<uint8_t> FromHex(const std::string& hex) {
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

template <size_t N>
std::vector<uint8_t> ToVector(const std::array<uint8_t, N>& bytes) {
  return {bytes.begin(), bytes.end()};
}

}  // namespace

// RFC 3711 Appendix B.3: key derivation test vectors (kdr = 0, index 0).
TEST_CASE("SRTP key derivation matches RFC 3711 B.3", "[srtp]") {
  const auto masterKey = FromHex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const auto masterSalt = FromHex("0EC675AD498AFEEBB6960B3AABE6");
  std::vector<uint8_t> masterKeyAndSalt = masterKey;
  masterKeyAndSalt.insert(masterKeyAndSalt.end(), masterSalt.begin(), masterSalt.end());

  const auto keys = SrtpKeyDerivation::Derive(SrtpProfile::kAes128CmHmacSha1_80, masterKeyAndSalt);
  REQUIRE(keys);
  CHECK(ToVector(keys->rtpCipherKey) == FromHex("C61E7A93744F39EE10734AFE3FF7A087"));
  CHECK(ToVector(keys->rtpSalt) == FromHex("30CBBC08863D8C85D49DB34A9AE1"));
  CHECK(ToVector(keys->rtpAuthKey) == FromHex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));

  // The B.3 auth-key line shows 94 bytes of the label-1 keystream; the PRF
  // must produce the same longer output, not just the first block.
  std::array<uint8_t, 48> longer{};
  REQUIRE(SrtpKeyDerivation::Prf(std::span<const uint8_t, 16>(masterKey.data(), 16),
                                 std::span<const uint8_t, 14>(masterSalt.data(), 14), 0x01,
                                 longer));
  CHECK(ToVector(longer) == FromHex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6"
                                    "CDBCEE049646C43D9327AD175578EF7227098"));

  // RTCP keys use labels 3..5: different from the RTP ones.
  CHECK(keys->rtcpCipherKey != keys->rtpCipherKey);
  CHECK(keys->rtcpSalt != keys->rtpSalt);
  CHECK(keys->rtcpAuthKey != keys->rtpAuthKey);
}

TEST_CASE("SRTP key derivation for AES-GCM uses a 96-bit salt", "[srtp]") {
  std::vector<uint8_t> masterKeyAndSalt(28);
  for (size_t i = 0; i < masterKeyAndSalt.size(); ++i) {
    masterKeyAndSalt[i] = static_cast<uint8_t>(i * 13 + 1);
  }
  const auto keys = SrtpKeyDerivation::Derive(SrtpProfile::kAeadAes128Gcm, masterKeyAndSalt);
  REQUIRE(keys);
  // RFC 7714 11: the session salt is 96 bits; our 14-byte field ends in zeros.
  CHECK(keys->rtpSalt[12] == 0);
  CHECK(keys->rtpSalt[13] == 0);
  CHECK(keys->rtcpSalt[12] == 0);
  CHECK(keys->rtcpSalt[13] == 0);
  // Same as the AES-CM derivation with the salt padded by two zero bytes.
  std::vector<uint8_t> padded = masterKeyAndSalt;
  padded.push_back(0);
  padded.push_back(0);
  const auto cmKeys = SrtpKeyDerivation::Derive(SrtpProfile::kAes128CmHmacSha1_80, padded);
  REQUIRE(cmKeys);
  CHECK(keys->rtpCipherKey == cmKeys->rtpCipherKey);
  CHECK(std::equal(keys->rtpSalt.begin(), keys->rtpSalt.begin() + 12, cmKeys->rtpSalt.begin()));

  CHECK_FALSE(SrtpKeyDerivation::Derive(SrtpProfile::kAeadAes128Gcm, padded));
  CHECK_FALSE(SrtpKeyDerivation::Derive(SrtpProfile::kAes128CmHmacSha1_80, masterKeyAndSalt));
}
