#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "server/transport/SrtpProfile.h"

struct srtp_ctx_t_;  // libsrtp's session (srtp_t)

namespace myriad::server::transport::testing {

// libsrtp2 behind the same interface as SrtpSession: the reference the
// tests check SrtpSession's wire output against, in both directions. (The
// server itself does not use libsrtp2 on the packet path: see SrtpSession.h.)
// Buffers must be 4-byte aligned and leave kMaxTrailer bytes of room.
class LibSrtpReference {
 public:
  enum class Direction { kInbound, kOutbound };

  // libsrtp's documented worst case for SRTCP (SRTP_MAX_TRAILER_LEN) plus
  // the 4-byte SRTCP index.
  static constexpr size_t kMaxTrailer = 16 + 128 + 4;

  static std::unique_ptr<LibSrtpReference> Create(SrtpProfile profile, Direction direction,
                                                  std::span<const uint8_t> masterKeyAndSalt);
  ~LibSrtpReference();
  LibSrtpReference(const LibSrtpReference&) = delete;
  LibSrtpReference& operator=(const LibSrtpReference&) = delete;

  size_t ProtectRtp(std::span<uint8_t> buffer, size_t length);
  size_t ProtectRtcp(std::span<uint8_t> buffer, size_t length);
  size_t UnprotectRtp(std::span<uint8_t> packet);
  size_t UnprotectRtcp(std::span<uint8_t> packet);

 private:
  LibSrtpReference(srtp_ctx_t_* session, Direction direction)
      : session_(session), direction_(direction) {}

  srtp_ctx_t_* session_;
  Direction direction_;
};

}  // namespace myriad::server::transport::testing
