#include "server/transport/SrtpKeyDerivation.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>

namespace myriad::server::transport {
namespace {

// RFC 3711 4.3.2: the labels of the six session keys.
constexpr uint8_t kRtpEncryptionLabel = 0x00;
constexpr uint8_t kRtpAuthLabel = 0x01;
constexpr uint8_t kRtpSaltLabel = 0x02;
constexpr uint8_t kRtcpEncryptionLabel = 0x03;
constexpr uint8_t kRtcpAuthLabel = 0x04;
constexpr uint8_t kRtcpSaltLabel = 0x05;

struct CipherContextDeleter {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};

}  // namespace

bool SrtpKeyDerivation::Prf(std::span<const uint8_t, 16> masterKey,
                            std::span<const uint8_t, 14> masterSalt, uint8_t label,
                            std::span<uint8_t> output) {
  // key_id = label || (index DIV kdr) with kdr = 0, i.e. label followed by
  // 48 zero bits; x = key_id XOR master_salt, both right-aligned in 112 bits.
  // The label therefore lands on the salt's byte 7 (14 - 7 bytes of key_id).
  std::array<uint8_t, 16> iv{};
  std::copy(masterSalt.begin(), masterSalt.end(), iv.begin());
  iv[7] ^= label;
  // IV = x * 2^16: the two low bytes are the block counter, starting at 0.
  std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter> context(EVP_CIPHER_CTX_new());
  if (!context || EVP_EncryptInit_ex(context.get(), EVP_aes_128_ctr(), nullptr, masterKey.data(),
                                     iv.data()) != 1) {
    return false;
  }
  std::fill(output.begin(), output.end(), 0);
  int written = 0;
  return EVP_EncryptUpdate(context.get(), output.data(), &written, output.data(),
                           static_cast<int>(output.size())) == 1 &&
         static_cast<size_t>(written) == output.size();
}

std::optional<SrtpSessionKeys> SrtpKeyDerivation::Derive(
    SrtpProfile profile, std::span<const uint8_t> masterKeyAndSalt) {
  if (masterKeyAndSalt.size() != SrtpMasterKeyAndSaltLength(profile)) return std::nullopt;
  std::array<uint8_t, 16> masterKey{};
  std::array<uint8_t, 14> masterSalt{};  // a 12-byte GCM salt is zero-padded on the right
  std::copy_n(masterKeyAndSalt.begin(), masterKey.size(), masterKey.begin());
  std::copy(masterKeyAndSalt.begin() + masterKey.size(), masterKeyAndSalt.end(),
            masterSalt.begin());

  SrtpSessionKeys keys;
  const bool ok = Prf(masterKey, masterSalt, kRtpEncryptionLabel, keys.rtpCipherKey) &&
                  Prf(masterKey, masterSalt, kRtpAuthLabel, keys.rtpAuthKey) &&
                  Prf(masterKey, masterSalt, kRtpSaltLabel, keys.rtpSalt) &&
                  Prf(masterKey, masterSalt, kRtcpEncryptionLabel, keys.rtcpCipherKey) &&
                  Prf(masterKey, masterSalt, kRtcpAuthLabel, keys.rtcpAuthKey) &&
                  Prf(masterKey, masterSalt, kRtcpSaltLabel, keys.rtcpSalt);
  OPENSSL_cleanse(masterKey.data(), masterKey.size());
  if (!ok) return std::nullopt;
  if (profile == SrtpProfile::kAeadAes128Gcm) {
    // RFC 7714 11: 96-bit session salts; the derived bits beyond are unused.
    std::fill(keys.rtpSalt.begin() + 12, keys.rtpSalt.end(), 0);
    std::fill(keys.rtcpSalt.begin() + 12, keys.rtcpSalt.end(), 0);
  }
  return keys;
}

}  // namespace myriad::server::transport
