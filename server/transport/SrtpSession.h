#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "server/transport/SrtpProfile.h"

struct srtp_ctx_t_;  // libsrtp's session (srtp_t), kept out of this header

namespace myriad::server::transport {

// One direction of SRTP/SRTCP protection (RFC 3711; RFC 7714 for AES-GCM)
// with one master key, for every SSRC of that direction (libsrtp's
// ssrc_any_inbound / ssrc_any_outbound). Inbound sessions keep a 1024-packet
// replay window; outbound sessions allow protecting the same sequence number
// again, because the SFU answers a NACK by resending the very packet it sent.
//
// Not thread-safe: a session is used from its transport's worker thread only.
// Packet buffers should be 4-byte aligned (libsrtp reads 32-bit words).
class SrtpSession {
 public:
  enum class Direction { kInbound, kOutbound };

  // Room a caller must leave after a plain packet for ProtectRtp/ProtectRtcp:
  // libsrtp's documented worst case for SRTCP (SRTP_MAX_TRAILER_LEN, i.e. a
  // 16-byte tag plus a 128-byte MKI, plus the 4-byte SRTCP index). Without
  // MKI the real growth is at most 20 bytes, but libsrtp only promises this.
  static constexpr size_t kMaxTrailer = 16 + 128 + 4;

  // nullptr if the key and salt have the wrong length for `profile`
  // (SrtpMasterKeyAndSaltLength) or libsrtp refuses them.
  static std::unique_ptr<SrtpSession> Create(SrtpProfile profile, Direction direction,
                                             std::span<const uint8_t> masterKeyAndSalt);
  ~SrtpSession();

  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // In place: `buffer` holds `length` bytes of plain RTP/RTCP and must have
  // kMaxTrailer more bytes of room. Returns the protected length, or 0 (no
  // room, malformed packet, wrong direction).
  size_t ProtectRtp(std::span<uint8_t> buffer, size_t length);
  size_t ProtectRtcp(std::span<uint8_t> buffer, size_t length);

  // In place: returns the plain length, or 0 (authentication failure, replay,
  // malformed packet, wrong direction).
  size_t UnprotectRtp(std::span<uint8_t> packet);
  size_t UnprotectRtcp(std::span<uint8_t> packet);

  SrtpProfile Profile() const { return profile_; }
  Direction GetDirection() const { return direction_; }

 private:
  SrtpSession(srtp_ctx_t_* session, SrtpProfile profile, Direction direction)
      : session_(session), profile_(profile), direction_(direction) {}

  srtp_ctx_t_* session_;
  SrtpProfile profile_;
  Direction direction_;
};

}  // namespace myriad::server::transport
