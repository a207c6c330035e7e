#include "server/transport/SrtpSession.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <climits>

#include "rtp/BigEndian.h"

namespace myriad::server::transport {
namespace {

constexpr size_t kRtpFixedHeaderSize = 12;  // RFC 3550 5.1
constexpr size_t kRtcpHeaderSize = 8;       // RFC 3550 6.4.1: header + sender SSRC
constexpr size_t kGcmTagSize = 16;          // RFC 7714 12
constexpr size_t kHmacTagSize = 10;         // RFC 3711 5.2: HMAC-SHA1 truncated to 80 bits
constexpr size_t kSrtcpIndexSize = 4;       // RFC 3711 3.4: E flag + 31-bit index
constexpr uint32_t kEncryptedFlag = 0x80000000U;
constexpr uint32_t kSrtcpIndexMask = 0x7FFFFFFFU;

// RFC 3550 5.1: fixed header, CSRCs and the header extension are all
// "header" for SRTP (authenticated, never encrypted). 0 if malformed.
size_t RtpHeaderSize(std::span<const uint8_t> packet) {
  if (packet.size() < kRtpFixedHeaderSize || (packet[0] >> 6) != 2) return 0;
  size_t size = kRtpFixedHeaderSize + 4 * static_cast<size_t>(packet[0] & 0x0F);
  if ((packet[0] & 0x10) != 0) {
    if (packet.size() < size + 4) return 0;
    size += 4 + 4 * static_cast<size_t>(rtp::ReadBigEndian16(packet.data() + size + 2));
  }
  return size <= packet.size() ? size : 0;
}

// RFC 3711 3.3.1 and Appendix A: the index (ROC || SEQ) most likely meant by
// `sequence` given the highest sequence number s_l and its ROC. Empty for a
// packet that would belong before the stream's first rollover period.
std::optional<uint64_t> EstimateIndex(uint32_t rolloverCounter, uint16_t highest,
                                      uint16_t sequence) {
  uint32_t guess = rolloverCounter;
  if (highest < 32768) {
    if (sequence > highest && sequence - highest > 32768) {
      if (rolloverCounter == 0) return std::nullopt;
      guess = rolloverCounter - 1;
    }
  } else if (highest - 32768 > sequence) {
    guess = rolloverCounter + 1;
  }
  return (static_cast<uint64_t>(guess) << 16) | sequence;
}

// RFC 3711 3.3.1: after an authenticated (or sent) packet, move s_l and ROC.
void AdvanceHighest(uint32_t& rolloverCounter, uint16_t& highest, uint64_t index) {
  const auto roc = static_cast<uint32_t>(index >> 16);
  const auto sequence = static_cast<uint16_t>(index);
  if (roc > rolloverCounter) {
    rolloverCounter = roc;
    highest = sequence;
  } else if (roc == rolloverCounter && sequence > highest) {
    highest = sequence;
  }
}

// RFC 7714 8.1 (SRTP) and 9.1 (SRTCP): the 12-byte GCM IV is
// 00 00 || SSRC || ROC || SEQ (or 00 00 || SSRC || 00 00 || 0 || SRTCP index)
// XORed with the session salt. Both fit "SSRC at byte 2, 48-bit index at 6".
std::array<uint8_t, 12> GcmIv(std::span<const uint8_t, 14> salt, uint32_t ssrc, uint64_t index) {
  std::array<uint8_t, 12> iv{};
  rtp::WriteBigEndian32(iv.data() + 2, ssrc);
  rtp::WriteBigEndian16(iv.data() + 6, static_cast<uint16_t>(index >> 32));
  rtp::WriteBigEndian32(iv.data() + 8, static_cast<uint32_t>(index));
  for (size_t i = 0; i < iv.size(); ++i) iv[i] ^= salt[i];
  return iv;
}

bool FitsInt(size_t size) { return size <= static_cast<size_t>(INT_MAX); }

}  // namespace

void SrtpSession::CipherContextDeleter::operator()(evp_cipher_ctx_st* context) const {
  EVP_CIPHER_CTX_free(context);
}
void SrtpSession::MacContextDeleter::operator()(evp_mac_ctx_st* context) const {
  EVP_MAC_CTX_free(context);
}

SrtpSession::SrtpSession(SrtpProfile profile, Direction direction, const SrtpSessionKeys& keys)
    : profile_(profile), direction_(direction), keys_(keys) {}

SrtpSession::~SrtpSession() { OPENSSL_cleanse(&keys_, sizeof(keys_)); }

std::unique_ptr<SrtpSession> SrtpSession::Create(SrtpProfile profile, Direction direction,
                                                 std::span<const uint8_t> masterKeyAndSalt) {
  auto keys = SrtpKeyDerivation::Derive(profile, masterKeyAndSalt);
  if (!keys) return nullptr;
  std::unique_ptr<SrtpSession> session(new SrtpSession(profile, direction, *keys));
  OPENSSL_cleanse(&*keys, sizeof(*keys));
  if (!session->Initialise()) return nullptr;
  return session;
}

bool SrtpSession::Initialise() {
  rtpCipher_.reset(EVP_CIPHER_CTX_new());
  rtcpCipher_.reset(EVP_CIPHER_CTX_new());
  if (!rtpCipher_ || !rtcpCipher_) return false;
  const bool gcm = profile_ == SrtpProfile::kAeadAes128Gcm;
  const EVP_CIPHER* cipher = gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr();
  // Keyed once here; each packet only sets its IV. AES-CTR is its own
  // inverse, so CM sessions always "encrypt".
  const int encrypt = (!gcm || direction_ == Direction::kOutbound) ? 1 : 0;
  if (EVP_CipherInit_ex(rtpCipher_.get(), cipher, nullptr, keys_.rtpCipherKey.data(), nullptr,
                        encrypt) != 1 ||
      EVP_CipherInit_ex(rtcpCipher_.get(), cipher, nullptr, keys_.rtcpCipherKey.data(), nullptr,
                        encrypt) != 1) {
    return false;
  }
  if (!gcm) {
    EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (hmac == nullptr) return false;
    rtpMac_.reset(EVP_MAC_CTX_new(hmac));
    rtcpMac_.reset(EVP_MAC_CTX_new(hmac));
    EVP_MAC_free(hmac);  // each context holds its own reference
    if (!rtpMac_ || !rtcpMac_) return false;
    std::array<char, 5> digest{'S', 'H', 'A', '1', '\0'};
    const std::array<OSSL_PARAM, 2> params{
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
        OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(rtpMac_.get(), keys_.rtpAuthKey.data(), keys_.rtpAuthKey.size(),
                     params.data()) != 1 ||
        EVP_MAC_init(rtcpMac_.get(), keys_.rtcpAuthKey.data(), keys_.rtcpAuthKey.size(),
                     params.data()) != 1) {
      return false;
    }
  }
  // Most transports carry a handful of SSRCs; growing past this allocates
  // once per new SSRC, never per packet.
  rtpStreams_.reserve(16);
  rtcpStreams_.reserve(16);
  if (direction_ == Direction::kInbound) {
    rtpReplay_.reserve(16);
    rtcpReplay_.reserve(16);
  }
  return true;
}

template <typename Stream>
int SrtpSession::Find(const std::vector<Stream>& streams, uint32_t ssrc) {
  for (size_t i = 0; i < streams.size(); ++i) {
    if (streams[i].ssrc == ssrc) return static_cast<int>(i);
  }
  return -1;
}

bool SrtpSession::AuthTag(evp_mac_ctx_st* mac, std::span<const uint8_t> first,
                          std::span<const uint8_t> second, std::span<uint8_t, 10> tag) {
  // Re-initialising without a key keeps the key set in Initialise.
  std::array<uint8_t, 20> full{};
  size_t written = 0;
  if (EVP_MAC_init(mac, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(mac, first.data(), first.size()) != 1 ||
      EVP_MAC_update(mac, second.data(), second.size()) != 1 ||
      EVP_MAC_final(mac, full.data(), &written, full.size()) != 1 || written != full.size()) {
    return false;
  }
  std::copy_n(full.begin(), tag.size(), tag.begin());
  return true;
}

bool SrtpSession::CounterModeCrypt(evp_cipher_ctx_st* cipher, std::span<const uint8_t, 14> salt,
                                   uint32_t ssrc, uint64_t index, std::span<uint8_t> data) {
  // RFC 3711 4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16); the
  // low 16 bits count AES blocks within the packet.
  std::array<uint8_t, 16> iv{};
  std::copy(salt.begin(), salt.end(), iv.begin());
  std::array<uint8_t, 4> ssrcBytes{};
  rtp::WriteBigEndian32(ssrcBytes.data(), ssrc);
  for (size_t i = 0; i < 4; ++i) iv[4 + i] ^= ssrcBytes[i];
  for (size_t i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<uint8_t>(index >> (8 * (5 - i)));
  int written = 0;
  if (EVP_EncryptInit_ex(cipher, nullptr, nullptr, nullptr, iv.data()) != 1) return false;
  if (data.empty()) return true;
  return EVP_EncryptUpdate(cipher, data.data(), &written, data.data(),
                           static_cast<int>(data.size())) == 1;
}

bool SrtpSession::EncryptRtpGcm(std::span<uint8_t> packet, size_t headerSize, uint32_t ssrc,
                                uint64_t index) {
  // RFC 7714 8.2: the header is associated data, the payload is encrypted in
  // place and the tag follows it. `packet` includes room for the tag.
  const auto iv = GcmIv(keys_.rtpSalt, ssrc, index);
  const size_t payloadSize = packet.size() - headerSize - kGcmTagSize;
  EVP_CIPHER_CTX* cipher = rtpCipher_.get();
  int written = 0;
  if (EVP_EncryptInit_ex(cipher, nullptr, nullptr, nullptr, iv.data()) != 1 ||
      EVP_EncryptUpdate(cipher, nullptr, &written, packet.data(), static_cast<int>(headerSize)) !=
          1) {
    return false;
  }
  uint8_t* payload = packet.data() + headerSize;
  if (payloadSize > 0 &&
      EVP_EncryptUpdate(cipher, payload, &written, payload, static_cast<int>(payloadSize)) != 1) {
    return false;
  }
  return EVP_EncryptFinal_ex(cipher, payload + payloadSize, &written) == 1 &&
         EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_GCM_GET_TAG, kGcmTagSize, payload + payloadSize) == 1;
}

bool SrtpSession::DecryptRtpGcm(std::span<uint8_t> packet, size_t headerSize, uint32_t ssrc,
                                uint64_t index) {
  const auto iv = GcmIv(keys_.rtpSalt, ssrc, index);
  const size_t payloadSize = packet.size() - headerSize - kGcmTagSize;
  EVP_CIPHER_CTX* cipher = rtpCipher_.get();
  int written = 0;
  if (EVP_DecryptInit_ex(cipher, nullptr, nullptr, nullptr, iv.data()) != 1 ||
      EVP_DecryptUpdate(cipher, nullptr, &written, packet.data(), static_cast<int>(headerSize)) !=
          1) {
    return false;
  }
  uint8_t* payload = packet.data() + headerSize;
  if (payloadSize > 0 &&
      EVP_DecryptUpdate(cipher, payload, &written, payload, static_cast<int>(payloadSize)) != 1) {
    return false;
  }
  return EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_GCM_SET_TAG, kGcmTagSize, payload + payloadSize) ==
             1 &&
         EVP_DecryptFinal_ex(cipher, payload + payloadSize, &written) == 1;
}

bool SrtpSession::EncryptRtpCm(std::span<uint8_t> packet, size_t headerSize, uint32_t ssrc,
                               uint64_t index) {
  // RFC 3711 3.1: encrypt the payload, then authenticate header || payload
  // || ROC (4.2) and append the 80-bit tag.
  const size_t authenticatedSize = packet.size() - kHmacTagSize;
  if (!CounterModeCrypt(rtpCipher_.get(), keys_.rtpSalt, ssrc, index,
                        packet.subspan(headerSize, authenticatedSize - headerSize))) {
    return false;
  }
  std::array<uint8_t, 4> roc{};
  rtp::WriteBigEndian32(roc.data(), static_cast<uint32_t>(index >> 16));
  return AuthTag(rtpMac_.get(), packet.first(authenticatedSize), roc,
                 packet.subspan(authenticatedSize).first<kHmacTagSize>());
}

bool SrtpSession::DecryptRtpCm(std::span<uint8_t> packet, size_t headerSize, uint32_t ssrc,
                               uint64_t index) {
  const size_t authenticatedSize = packet.size() - kHmacTagSize;
  std::array<uint8_t, 4> roc{};
  rtp::WriteBigEndian32(roc.data(), static_cast<uint32_t>(index >> 16));
  std::array<uint8_t, kHmacTagSize> expected{};
  if (!AuthTag(rtpMac_.get(), packet.first(authenticatedSize), roc, expected) ||
      CRYPTO_memcmp(expected.data(), packet.data() + authenticatedSize, kHmacTagSize) != 0) {
    return false;
  }
  return CounterModeCrypt(rtpCipher_.get(), keys_.rtpSalt, ssrc, index,
                          packet.subspan(headerSize, authenticatedSize - headerSize));
}

size_t SrtpSession::ProtectRtp(std::span<uint8_t> buffer, size_t length) {
  if (direction_ != Direction::kOutbound || length > buffer.size() ||
      buffer.size() - length < kMaxTrailer || !FitsInt(length + kMaxTrailer)) {
    return 0;
  }
  const size_t headerSize = RtpHeaderSize(buffer.first(length));
  if (headerSize == 0) return 0;
  const uint32_t ssrc = rtp::ReadBigEndian32(buffer.data() + 8);
  const uint16_t sequence = rtp::ReadBigEndian16(buffer.data() + 2);

  int slot = Find(rtpStreams_, ssrc);
  if (slot < 0) {
    if (rtpStreams_.size() >= kMaxStreams) return 0;
    rtpStreams_.push_back(RtpStream{ssrc, 0, sequence});
    slot = static_cast<int>(rtpStreams_.size() - 1);
  }
  RtpStream& stream = rtpStreams_[static_cast<size_t>(slot)];
  const auto index = EstimateIndex(stream.rolloverCounter, stream.highestSequence, sequence);
  if (!index) return 0;

  const bool gcm = profile_ == SrtpProfile::kAeadAes128Gcm;
  const size_t protectedSize = length + (gcm ? kGcmTagSize : kHmacTagSize);
  const auto packet = buffer.first(protectedSize);
  const bool ok = gcm ? EncryptRtpGcm(packet, headerSize, ssrc, *index)
                      : EncryptRtpCm(packet, headerSize, ssrc, *index);
  if (!ok) return 0;
  AdvanceHighest(stream.rolloverCounter, stream.highestSequence, *index);
  return protectedSize;
}

size_t SrtpSession::UnprotectRtp(std::span<uint8_t> packet) {
  if (direction_ != Direction::kInbound || !FitsInt(packet.size())) return 0;
  const bool gcm = profile_ == SrtpProfile::kAeadAes128Gcm;
  const size_t tagSize = gcm ? kGcmTagSize : kHmacTagSize;
  if (packet.size() < kRtpFixedHeaderSize + tagSize) return 0;
  // The header must fit in front of the tag.
  const size_t headerSize = RtpHeaderSize(packet.first(packet.size() - tagSize));
  if (headerSize == 0) return 0;
  const uint32_t ssrc = rtp::ReadBigEndian32(packet.data() + 8);
  const uint16_t sequence = rtp::ReadBigEndian16(packet.data() + 2);

  const int slot = Find(rtpStreams_, ssrc);
  // RFC 3711 3.3.1: a new SSRC starts with ROC 0 and s_l = its first SEQ.
  RtpStream fresh{ssrc, 0, sequence};
  SrtpReplayWindow freshReplay;
  RtpStream& stream = slot >= 0 ? rtpStreams_[static_cast<size_t>(slot)] : fresh;
  SrtpReplayWindow& replay = slot >= 0 ? rtpReplay_[static_cast<size_t>(slot)] : freshReplay;
  if (slot < 0 && rtpStreams_.size() >= kMaxStreams) return 0;
  const auto index = EstimateIndex(stream.rolloverCounter, stream.highestSequence, sequence);
  if (!index || !replay.IsNew(*index)) return 0;

  const bool ok = gcm ? DecryptRtpGcm(packet, headerSize, ssrc, *index)
                      : DecryptRtpCm(packet, headerSize, ssrc, *index);
  if (!ok) return 0;
  replay.Accept(*index);
  AdvanceHighest(stream.rolloverCounter, stream.highestSequence, *index);
  if (slot < 0) {
    rtpStreams_.push_back(fresh);
    rtpReplay_.push_back(freshReplay);
  }
  return packet.size() - tagSize;
}

size_t SrtpSession::ProtectRtcp(std::span<uint8_t> buffer, size_t length) {
  if (direction_ != Direction::kOutbound || length < kRtcpHeaderSize || length > buffer.size() ||
      buffer.size() - length < kMaxTrailer || !FitsInt(length + kMaxTrailer)) {
    return 0;
  }
  const uint32_t ssrc = rtp::ReadBigEndian32(buffer.data() + 4);
  int slot = Find(rtcpStreams_, ssrc);
  if (slot < 0) {
    if (rtcpStreams_.size() >= kMaxStreams) return 0;
    rtcpStreams_.push_back(RtcpStream{ssrc});
    slot = static_cast<int>(rtcpStreams_.size() - 1);
  }
  RtcpStream& stream = rtcpStreams_[static_cast<size_t>(slot)];
  const uint32_t index = stream.nextIndex;
  std::array<uint8_t, kSrtcpIndexSize> indexWord{};
  rtp::WriteBigEndian32(indexWord.data(), kEncryptedFlag | index);

  if (profile_ == SrtpProfile::kAeadAes128Gcm) {
    // RFC 7714 9.1-9.3: AAD = the first 8 octets || E|index; the rest of the
    // compound packet is encrypted; then tag, then E|index.
    const auto iv = GcmIv(keys_.rtcpSalt, ssrc, index);
    EVP_CIPHER_CTX* cipher = rtcpCipher_.get();
    uint8_t* body = buffer.data() + kRtcpHeaderSize;
    const size_t bodySize = length - kRtcpHeaderSize;
    int written = 0;
    if (EVP_EncryptInit_ex(cipher, nullptr, nullptr, nullptr, iv.data()) != 1 ||
        EVP_EncryptUpdate(cipher, nullptr, &written, buffer.data(),
                          static_cast<int>(kRtcpHeaderSize)) != 1 ||
        EVP_EncryptUpdate(cipher, nullptr, &written, indexWord.data(),
                          static_cast<int>(indexWord.size())) != 1 ||
        (bodySize > 0 &&
         EVP_EncryptUpdate(cipher, body, &written, body, static_cast<int>(bodySize)) != 1) ||
        EVP_EncryptFinal_ex(cipher, buffer.data() + length, &written) != 1 ||
        EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_GCM_GET_TAG, kGcmTagSize, buffer.data() + length) !=
            1) {
      return 0;
    }
    std::copy(indexWord.begin(), indexWord.end(), buffer.begin() + length + kGcmTagSize);
    stream.nextIndex = (index + 1) & kSrtcpIndexMask;
    return length + kGcmTagSize + kSrtcpIndexSize;
  }

  // RFC 3711 3.4: encrypt after the first 8 octets, append E|index, then the
  // tag over everything before it.
  if (!CounterModeCrypt(rtcpCipher_.get(), keys_.rtcpSalt, ssrc, index,
                        buffer.subspan(kRtcpHeaderSize, length - kRtcpHeaderSize))) {
    return 0;
  }
  std::copy(indexWord.begin(), indexWord.end(), buffer.begin() + length);
  const size_t authenticatedSize = length + kSrtcpIndexSize;
  if (!AuthTag(rtcpMac_.get(), buffer.first(authenticatedSize), {},
               buffer.subspan(authenticatedSize).first<kHmacTagSize>())) {
    return 0;
  }
  stream.nextIndex = (index + 1) & kSrtcpIndexMask;
  return authenticatedSize + kHmacTagSize;
}

size_t SrtpSession::UnprotectRtcp(std::span<uint8_t> packet) {
  if (direction_ != Direction::kInbound || !FitsInt(packet.size())) return 0;
  const bool gcm = profile_ == SrtpProfile::kAeadAes128Gcm;
  const size_t tagSize = gcm ? kGcmTagSize : kHmacTagSize;
  if (packet.size() < kRtcpHeaderSize + kSrtcpIndexSize + tagSize) return 0;
  const size_t plainSize = packet.size() - kSrtcpIndexSize - tagSize;
  // GCM: ... || tag || E|index (RFC 7714 9.3); CM: ... || E|index || tag.
  const size_t indexOffset = gcm ? packet.size() - kSrtcpIndexSize : plainSize;
  const uint32_t indexWord = rtp::ReadBigEndian32(packet.data() + indexOffset);
  const bool encrypted = (indexWord & kEncryptedFlag) != 0;
  const uint32_t index = indexWord & kSrtcpIndexMask;
  const uint32_t ssrc = rtp::ReadBigEndian32(packet.data() + 4);

  const int slot = Find(rtcpStreams_, ssrc);
  SrtpReplayWindow freshReplay;
  SrtpReplayWindow& replay = slot >= 0 ? rtcpReplay_[static_cast<size_t>(slot)] : freshReplay;
  if (slot < 0 && rtcpStreams_.size() >= kMaxStreams) return 0;
  if (!replay.IsNew(index)) return 0;

  if (gcm) {
    const auto iv = GcmIv(keys_.rtcpSalt, ssrc, index);
    EVP_CIPHER_CTX* cipher = rtcpCipher_.get();
    uint8_t* tag = packet.data() + plainSize;
    // RFC 7714 9.3: with E = 0 the whole packet is associated data.
    const size_t aadSize = encrypted ? kRtcpHeaderSize : plainSize;
    uint8_t* body = packet.data() + aadSize;
    const size_t bodySize = plainSize - aadSize;
    int written = 0;
    if (EVP_DecryptInit_ex(cipher, nullptr, nullptr, nullptr, iv.data()) != 1 ||
        EVP_DecryptUpdate(cipher, nullptr, &written, packet.data(), static_cast<int>(aadSize)) !=
            1 ||
        EVP_DecryptUpdate(cipher, nullptr, &written, packet.data() + indexOffset,
                          static_cast<int>(kSrtcpIndexSize)) != 1 ||
        (bodySize > 0 &&
         EVP_DecryptUpdate(cipher, body, &written, body, static_cast<int>(bodySize)) != 1) ||
        EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_GCM_SET_TAG, kGcmTagSize, tag) != 1 ||
        EVP_DecryptFinal_ex(cipher, tag, &written) != 1) {
      return 0;
    }
  } else {
    const size_t authenticatedSize = plainSize + kSrtcpIndexSize;
    std::array<uint8_t, kHmacTagSize> expected{};
    if (!AuthTag(rtcpMac_.get(), packet.first(authenticatedSize), {}, expected) ||
        CRYPTO_memcmp(expected.data(), packet.data() + authenticatedSize, kHmacTagSize) != 0) {
      return 0;
    }
    if (encrypted &&
        !CounterModeCrypt(rtcpCipher_.get(), keys_.rtcpSalt, ssrc, index,
                          packet.subspan(kRtcpHeaderSize, plainSize - kRtcpHeaderSize))) {
      return 0;
    }
  }
  replay.Accept(index);
  if (slot < 0) {
    rtcpStreams_.push_back(RtcpStream{ssrc});
    rtcpReplay_.push_back(freshReplay);
  }
  return plainSize;
}

}  // namespace myriad::server::transport
