#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "server/transport/SrtpProfile.h"

namespace myriad::server::transport {

// The session keys of one SRTP crypto context, derived from the master key
// and salt that DTLS-SRTP exported. Salts are 14 bytes (AES-CM, RFC 3711
// 4.3.2); AES-GCM uses their first 12 (RFC 7714 12). Auth keys are for
// HMAC-SHA1 (RFC 3711 4.2.1) and unused with GCM.
struct SrtpSessionKeys {
  std::array<uint8_t, 16> rtpCipherKey{};
  std::array<uint8_t, 14> rtpSalt{};
  std::array<uint8_t, 20> rtpAuthKey{};
  std::array<uint8_t, 16> rtcpCipherKey{};
  std::array<uint8_t, 14> rtcpSalt{};
  std::array<uint8_t, 20> rtcpAuthKey{};
};

// RFC 3711 4.3: the AES-CM pseudo-random function with key_derivation_rate 0
// (the only rate DTLS-SRTP uses, RFC 5764 4.1.2), labels 0x00..0x05. RFC 7714
// 11 reuses it for AES-GCM with a 96-bit master salt, which is taken as the
// top 96 bits of the 112-bit salt field (zero-padded on the right).
class SrtpKeyDerivation {
 public:
  // nullopt if the master key and salt have the wrong length for `profile`
  // or OpenSSL fails.
  static std::optional<SrtpSessionKeys> Derive(SrtpProfile profile,
                                               std::span<const uint8_t> masterKeyAndSalt);

  // One labelled output of the PRF (RFC 3711 4.3.1), exposed for the RFC's
  // test vectors: `output` is filled with the keystream of AES-CM keyed with
  // `masterKey` at IV = (label-xored salt) * 2^16.
  static bool Prf(std::span<const uint8_t, 16> masterKey, std::span<const uint8_t, 14> masterSalt,
                  uint8_t label, std::span<uint8_t> output);
};

}  // namespace myriad::server::transport
