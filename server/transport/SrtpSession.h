#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "server/transport/SrtpKeyDerivation.h"
#include "server/transport/SrtpProfile.h"
#include "server/transport/SrtpReplayWindow.h"

struct evp_cipher_ctx_st;  // OpenSSL's EVP_CIPHER_CTX, kept out of this header
struct evp_mac_ctx_st;     // OpenSSL's EVP_MAC_CTX

namespace myriad::server::transport {

// One direction of SRTP/SRTCP protection (RFC 3711; RFC 7714 for AES-GCM)
// with one master key, for every SSRC of that direction: a crypto context
// (rollover counter, replay list, SRTCP index) is created per SSRC on its
// first packet, inbound only once that packet authenticated. Inbound keeps a
// 1024-packet replay window per SSRC; outbound may protect the same sequence
// number again, because the SFU answers a NACK by resending the very packet
// it sent (same plaintext under the same keystream reveals nothing new, so
// callers must resend the stored packet, never new content under an old
// number).
//
// Built directly on OpenSSL's EVP AES-GCM / AES-CTR and HMAC-SHA1 with one
// cipher context per session keyed once, so a packet costs one IV reset and
// one pass over the payload. (Debian's libsrtp2 is built on NSS, which
// creates a cipher context per packet under a process-wide lock and got
// slower with every session: 0.8 us per packet at 100 sessions, 8-10 us at
// 2000; see docs/architecture.md.) Interoperability with libsrtp2 is tested.
//
// Not thread-safe: a session is used from its transport's worker thread only.
class SrtpSession {
 public:
  enum class Direction { kInbound, kOutbound };

  // Room a caller must leave after a plain packet for ProtectRtp/ProtectRtcp:
  // the largest growth, SRTCP with AES-GCM (16-byte tag + 4-byte E|index,
  // RFC 7714 9.3). AES-CM grows RTP by 10 and RTCP by 14 bytes.
  static constexpr size_t kMaxTrailer = 16 + 4;
  // An inbound peer can create SSRC contexts only with authentic packets,
  // but the number is still bounded so state stays bounded.
  static constexpr size_t kMaxStreams = 1024;

  // nullptr if the key and salt have the wrong length for `profile`
  // (SrtpMasterKeyAndSaltLength) or OpenSSL refuses them.
  static std::unique_ptr<SrtpSession> Create(SrtpProfile profile, Direction direction,
                                             std::span<const uint8_t> masterKeyAndSalt);
  ~SrtpSession();

  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // In place: `buffer` holds `length` bytes of plain RTP/RTCP and must have
  // kMaxTrailer more bytes of room. Returns the protected length, or 0 (no
  // room, malformed packet, wrong direction, too many SSRCs).
  size_t ProtectRtp(std::span<uint8_t> buffer, size_t length);
  size_t ProtectRtcp(std::span<uint8_t> buffer, size_t length);

  // In place: returns the plain length, or 0 (authentication failure, replay,
  // malformed packet, wrong direction). A failed packet's bytes may be left
  // partly decrypted: callers drop it.
  size_t UnprotectRtp(std::span<uint8_t> packet);
  size_t UnprotectRtcp(std::span<uint8_t> packet);

  SrtpProfile Profile() const { return profile_; }
  Direction GetDirection() const { return direction_; }
  size_t StreamCount() const { return rtpStreams_.size() + rtcpStreams_.size(); }

 private:
  struct CipherContextDeleter {
    void operator()(evp_cipher_ctx_st* context) const;
  };
  struct MacContextDeleter {
    void operator()(evp_mac_ctx_st* context) const;
  };
  using CipherContext = std::unique_ptr<evp_cipher_ctx_st, CipherContextDeleter>;
  using MacContext = std::unique_ptr<evp_mac_ctx_st, MacContextDeleter>;

  // RFC 3711 3.2.1: per-SSRC state of the RTP crypto context. Compact, so
  // the scan for a packet's SSRC reads a cache line or two.
  struct RtpStream {
    uint32_t ssrc = 0;
    uint32_t rolloverCounter = 0;
    uint16_t highestSequence = 0;  // s_l
  };
  // RFC 3711 3.4: per-SSRC state of the RTCP crypto context.
  struct RtcpStream {
    uint32_t ssrc = 0;
    // Outbound: the 31-bit SRTCP index to send next. RFC 3711 3.4 starts the
    // count at zero; libsrtp (hence every browser) sends 1 first, and we
    // follow it so a receiver's replay list sees what it is used to.
    uint32_t nextIndex = 1;
  };

  SrtpSession(SrtpProfile profile, Direction direction, const SrtpSessionKeys& keys);
  bool Initialise();

  // Index of the stream with `ssrc`, or -1.
  template <typename Stream>
  static int Find(const std::vector<Stream>& streams, uint32_t ssrc);

  bool EncryptRtpGcm(std::span<uint8_t> packet, size_t headerSize, uint32_t ssrc, uint64_t index);
  bool DecryptRtpGcm(std::span<uint8_t> packet, size_t headerSize, uint32_t ssrc, uint64_t index);
  bool EncryptRtpCm(std::span<uint8_t> packet, size_t headerSize, uint32_t ssrc, uint64_t index);
  bool DecryptRtpCm(std::span<uint8_t> packet, size_t headerSize, uint32_t ssrc, uint64_t index);

  // HMAC-SHA1 over `first` then `second`, truncated to 10 bytes (RFC 3711 4.2.1).
  bool AuthTag(evp_mac_ctx_st* mac, std::span<const uint8_t> first, std::span<const uint8_t> second,
               std::span<uint8_t, 10> tag);
  bool CounterModeCrypt(evp_cipher_ctx_st* cipher, std::span<const uint8_t, 14> salt, uint32_t ssrc,
                        uint64_t index, std::span<uint8_t> data);

  SrtpProfile profile_;
  Direction direction_;
  SrtpSessionKeys keys_;
  CipherContext rtpCipher_;
  CipherContext rtcpCipher_;
  MacContext rtpMac_;   // AES-CM only
  MacContext rtcpMac_;  // AES-CM only

  // Scanned linearly (a transport has a handful to tens of SSRCs). Inbound
  // sessions keep each stream's replay list at the same index.
  std::vector<RtpStream> rtpStreams_;
  std::vector<SrtpReplayWindow> rtpReplay_;
  std::vector<RtcpStream> rtcpStreams_;
  std::vector<SrtpReplayWindow> rtcpReplay_;
};

}  // namespace myriad::server::transport
