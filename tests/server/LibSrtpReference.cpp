#include "tests/server/LibSrtpReference.h"

#include <srtp2/srtp.h>

#include <algorithm>
#include <array>
#include <climits>
#include <mutex>

namespace myriad::server::transport::testing {
namespace {

static_assert(LibSrtpReference::kMaxTrailer == SRTP_MAX_TRAILER_LEN + 4,
              "kMaxTrailer must follow srtp_protect_rtcp's documented contract");

constexpr size_t kRtpHeaderSize = 12;  // RFC 3550 5.1
constexpr size_t kRtcpHeaderSize = 8;  // RFC 3550 6.4.1: header + sender SSRC
constexpr unsigned long kReplayWindow = 1024;

// libsrtp must be initialised once per process before any other call.
bool EnsureSrtpInitialised() {
  static std::once_flag once;
  static bool initialised = false;
  std::call_once(once, [] { initialised = srtp_init() == srtp_err_status_ok; });
  return initialised;
}

}  // namespace

std::unique_ptr<LibSrtpReference> LibSrtpReference::Create(
    SrtpProfile profile, Direction direction, std::span<const uint8_t> masterKeyAndSalt) {
  if (!EnsureSrtpInitialised()) return nullptr;
  if (masterKeyAndSalt.size() != SrtpMasterKeyAndSaltLength(profile)) return nullptr;

  srtp_policy_t policy{};
  switch (profile) {
    case SrtpProfile::kAeadAes128Gcm:
      // RFC 7714 14.2: SRTP_AEAD_AES_128_GCM, 16-byte tag for RTP and RTCP.
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
      break;
    case SrtpProfile::kAes128CmHmacSha1_80:
      // RFC 5764 4.1.2: AES-128 counter mode, 80-bit HMAC-SHA1 tag.
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      break;
  }
  policy.ssrc.type = direction == Direction::kInbound ? ssrc_any_inbound : ssrc_any_outbound;
  // libsrtp copies the key while creating the session.
  std::array<unsigned char, SRTP_MAX_KEY_LEN> key{};
  std::copy(masterKeyAndSalt.begin(), masterKeyAndSalt.end(), key.begin());
  policy.key = key.data();
  policy.window_size = kReplayWindow;
  // A NACK is answered with the same packet under the same sequence number;
  // libsrtp would refuse it as a replay of its own output otherwise. This is
  // only safe while a resent packet carries the very same payload (same
  // plaintext under the same keystream reveals nothing new): callers must
  // resend the stored packet, never new content under an old number.
  policy.allow_repeat_tx = direction == Direction::kOutbound ? 1 : 0;
  policy.next = nullptr;

  srtp_t session = nullptr;
  const srtp_err_status_t status = srtp_create(&session, &policy);
  std::fill(key.begin(), key.end(), 0);
  if (status != srtp_err_status_ok) return nullptr;
  return std::unique_ptr<LibSrtpReference>(new LibSrtpReference(session, direction));
}

LibSrtpReference::~LibSrtpReference() { srtp_dealloc(session_); }

size_t LibSrtpReference::ProtectRtp(std::span<uint8_t> buffer, size_t length) {
  if (direction_ != Direction::kOutbound || length < kRtpHeaderSize || length > buffer.size() ||
      buffer.size() - length < kMaxTrailer || length > INT_MAX - kMaxTrailer) {
    return 0;
  }
  int size = static_cast<int>(length);
  if (srtp_protect(session_, buffer.data(), &size) != srtp_err_status_ok) return 0;
  return static_cast<size_t>(size);
}

size_t LibSrtpReference::ProtectRtcp(std::span<uint8_t> buffer, size_t length) {
  if (direction_ != Direction::kOutbound || length < kRtcpHeaderSize || length > buffer.size() ||
      buffer.size() - length < kMaxTrailer || length > INT_MAX - kMaxTrailer) {
    return 0;
  }
  int size = static_cast<int>(length);
  if (srtp_protect_rtcp(session_, buffer.data(), &size) != srtp_err_status_ok) return 0;
  return static_cast<size_t>(size);
}

size_t LibSrtpReference::UnprotectRtp(std::span<uint8_t> packet) {
  if (direction_ != Direction::kInbound || packet.size() < kRtpHeaderSize ||
      packet.size() > INT_MAX)
    return 0;
  int size = static_cast<int>(packet.size());
  if (srtp_unprotect(session_, packet.data(), &size) != srtp_err_status_ok) return 0;
  return static_cast<size_t>(size);
}

size_t LibSrtpReference::UnprotectRtcp(std::span<uint8_t> packet) {
  if (direction_ != Direction::kInbound || packet.size() < kRtcpHeaderSize ||
      packet.size() > INT_MAX)
    return 0;
  int size = static_cast<int>(packet.size());
  if (srtp_unprotect_rtcp(session_, packet.data(), &size) != srtp_err_status_ok) return 0;
  return static_cast<size_t>(size);
}

}  // namespace myriad::server::transport::testing
