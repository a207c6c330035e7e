#include "rtp/StunIntegrity.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <memory>

#include "rtp/StunMessage.h"

namespace myriad::rtp {
namespace {

// Reflected CRC-32 table for polynomial 0x04C11DB7 (RFC 5389 15.5 points to
// ITU-T V.42 / ISO 3309, the CRC that zlib and Ethernet use).
constexpr std::array<uint32_t, 256> MakeCrc32Table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    table[i] = crc;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrc32Table = MakeCrc32Table();

uint32_t Crc32Update(uint32_t crc, std::span<const uint8_t> data) {
  for (uint8_t byte : data) crc = kCrc32Table[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return crc;
}

struct MacContextDeleter {
  void operator()(EVP_MAC_CTX* context) const { EVP_MAC_CTX_free(context); }
};

// Fetching the HMAC implementation takes a lock in OpenSSL's method store, so
// each thread keeps one HMAC-SHA1 context and only re-keys it per message.
EVP_MAC_CTX* ThreadHmacSha1Context() {
  thread_local std::unique_ptr<EVP_MAC_CTX, MacContextDeleter> context = [] {
    std::unique_ptr<EVP_MAC_CTX, MacContextDeleter> created;
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) return created;
    created.reset(EVP_MAC_CTX_new(mac));
    EVP_MAC_free(mac);  // the context holds its own reference
    if (!created) return created;
    char digest[] = "SHA1";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (EVP_MAC_CTX_set_params(created.get(), params) != 1) created.reset();
    return created;
  }();
  return context.get();
}

}  // namespace

bool StunIntegrity::HmacSha1(std::string_view key, const Header& header,
                             std::span<const uint8_t> attributes, Hmac& out) {
  // An empty key is refused rather than passed on: EVP_MAC_init with a null
  // key would silently reuse the previous message's key.
  if (key.empty()) return false;
  EVP_MAC_CTX* context = ThreadHmacSha1Context();
  if (context == nullptr) return false;
  size_t written = 0;
  return EVP_MAC_init(context, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                      nullptr) == 1 &&
         EVP_MAC_update(context, header.data(), header.size()) == 1 &&
         EVP_MAC_update(context, attributes.data(), attributes.size()) == 1 &&
         EVP_MAC_final(context, out.data(), &written, out.size()) == 1 && written == out.size();
}

uint32_t StunIntegrity::Fingerprint(const Header& header, std::span<const uint8_t> attributes) {
  uint32_t crc = 0xFFFFFFFFu;
  crc = Crc32Update(crc, header);
  crc = Crc32Update(crc, attributes);
  return (crc ^ 0xFFFFFFFFu) ^ StunMessage::kFingerprintXor;
}

uint32_t StunIntegrity::Crc32(std::span<const uint8_t> data) {
  return Crc32Update(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu;
}

StunIntegrity::Header StunIntegrity::AdjustedHeader(std::span<const uint8_t> message,
                                                    uint16_t length) {
  Header header{};
  std::copy_n(message.begin(), std::min(header.size(), message.size()), header.begin());
  header[2] = static_cast<uint8_t>(length >> 8);
  header[3] = static_cast<uint8_t>(length);
  return header;
}

}  // namespace myriad::rtp
