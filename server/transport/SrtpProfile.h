#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace myriad::server::transport {

// The DTLS-SRTP protection profiles we negotiate (RFC 5764 4.1.2, RFC 7714 14.2).
enum class SrtpProfile {
  kAeadAes128Gcm,       // SRTP_AEAD_AES_128_GCM (0x0007): preferred, cheaper per packet
  kAes128CmHmacSha1_80  // SRTP_AES128_CM_HMAC_SHA1_80 (0x0001): mandatory to implement
};

// Master key and master salt sizes per profile (RFC 5764 4.1.2, RFC 7714 12).
constexpr size_t SrtpMasterKeyLength(SrtpProfile /*profile*/) { return 16; }
constexpr size_t SrtpMasterSaltLength(SrtpProfile profile) {
  return profile == SrtpProfile::kAeadAes128Gcm ? 12 : 14;
}
constexpr size_t SrtpMasterKeyAndSaltLength(SrtpProfile profile) {
  return SrtpMasterKeyLength(profile) + SrtpMasterSaltLength(profile);
}

// What a finished DTLS-SRTP handshake yields: each side's master key followed
// by its master salt. "local" protects what we send, "remote" unprotects what
// we receive.
struct SrtpKeyMaterial {
  SrtpProfile profile = SrtpProfile::kAeadAes128Gcm;
  std::vector<uint8_t> localMasterKeyAndSalt;
  std::vector<uint8_t> remoteMasterKeyAndSalt;
};

}  // namespace myriad::server::transport
