// libFuzzer target for SrtpSession: arbitrary bytes as SRTP and SRTCP to
// inbound sessions of both profiles (must be refused or decrypted, never
// crash or read out of bounds), and as plain RTP/RTCP through an outbound
// session and back (must round-trip bit-exactly when protection succeeds).

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "server/transport/SrtpSession.h"

using myriad::server::transport::SrtpMasterKeyAndSaltLength;
using myriad::server::transport::SrtpProfile;
using myriad::server::transport::SrtpSession;

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

struct Sessions {
  std::unique_ptr<SrtpSession> outbound;
  std::unique_ptr<SrtpSession> inbound;
  std::unique_ptr<SrtpSession> loopbackInbound;  // sees only what outbound produced
};

Sessions Make(SrtpProfile profile) {
  std::vector<uint8_t> key(SrtpMasterKeyAndSaltLength(profile));
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 31 + 7);
  return {SrtpSession::Create(profile, SrtpSession::Direction::kOutbound, key),
          SrtpSession::Create(profile, SrtpSession::Direction::kInbound, key),
          SrtpSession::Create(profile, SrtpSession::Direction::kInbound, key)};
}

// Sessions persist across inputs so replay lists and stream tables fill up
// the way they would on a long-lived transport.
Sessions& For(SrtpProfile profile) {
  static Sessions gcm = Make(SrtpProfile::kAeadAes128Gcm);
  static Sessions cm = Make(SrtpProfile::kAes128CmHmacSha1_80);
  return profile == SrtpProfile::kAeadAes128Gcm ? gcm : cm;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1500) return 0;
  std::array<uint8_t, 1500 + SrtpSession::kMaxTrailer> buffer{};
  for (const auto profile : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAes128CmHmacSha1_80}) {
    Sessions& sessions = For(profile);
    Check(sessions.outbound && sessions.inbound && sessions.loopbackInbound);

    std::memcpy(buffer.data(), data, size);
    const size_t rtp = sessions.inbound->UnprotectRtp(std::span(buffer).first(size));
    Check(rtp == 0 || rtp < size);
    std::memcpy(buffer.data(), data, size);
    const size_t rtcp = sessions.inbound->UnprotectRtcp(std::span(buffer).first(size));
    Check(rtcp == 0 || rtcp < size);

    for (const bool isRtcp : {false, true}) {
      std::memcpy(buffer.data(), data, size);
      const size_t secured = isRtcp ? sessions.outbound->ProtectRtcp(buffer, size)
                                    : sessions.outbound->ProtectRtp(buffer, size);
      if (secured == 0) continue;
      Check(secured > size && secured <= size + SrtpSession::kMaxTrailer);
      const size_t plain =
          isRtcp ? sessions.loopbackInbound->UnprotectRtcp(std::span(buffer).first(secured))
                 : sessions.loopbackInbound->UnprotectRtp(std::span(buffer).first(secured));
      // A replay (same input twice) is refused; anything else round-trips.
      if (plain != 0) {
        Check(plain == size);
        Check(std::memcmp(buffer.data(), data, size) == 0);
      }
    }
  }
  return 0;
}
