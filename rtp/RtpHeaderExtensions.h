#pragma once

// URIs of the RTP header extensions the SFU negotiates (a=extmap, RFC 8285 section 5) and
// small pure helpers to read/write their values in place. Values are the element payloads
// returned by RtpPacket::GetExtension, i.e. without the RFC 8285 element header.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace myriad::rtp {

inline constexpr std::string_view kMidExtensionUri = "urn:ietf:params:rtp-hdrext:sdes:mid";
inline constexpr std::string_view kRtpStreamIdExtensionUri =
    "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
inline constexpr std::string_view kRepairedRtpStreamIdExtensionUri =
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
inline constexpr std::string_view kAudioLevelExtensionUri =
    "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
inline constexpr std::string_view kTransportWideCcExtensionUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
inline constexpr std::string_view kAbsSendTimeExtensionUri =
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
inline constexpr std::string_view kVideoOrientationExtensionUri = "urn:3gpp:video-orientation";
// AV1 RTP specification appendix A.8 (rtp/DependencyDescriptorHeader.h).
inline constexpr std::string_view kDependencyDescriptorExtensionUri =
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";

// RFC 6464 section 3: one byte, V flag (voice activity) then 7-bit level in -dBov (0 = loudest,
// 127 = silence).
struct AudioLevel {
  bool voiceActivity = false;
  uint8_t level = 127;
};
inline constexpr size_t kAudioLevelSize = 1;
std::optional<AudioLevel> ReadAudioLevel(std::span<const uint8_t> value);
bool WriteAudioLevel(std::span<uint8_t> value, AudioLevel audioLevel);  // level clamped to 127

// draft-holmer-rmcat-transport-wide-cc-extensions-01 section 2: 16-bit big-endian counter.
inline constexpr size_t kTransportSequenceNumberSize = 2;
std::optional<uint16_t> ReadTransportSequenceNumber(std::span<const uint8_t> value);
bool WriteTransportSequenceNumber(std::span<uint8_t> value, uint16_t seq);

// abs-send-time: 24-bit unsigned 6.18 fixed point seconds, wrapping every 64 s.
inline constexpr size_t kAbsSendTimeSize = 3;
std::optional<uint32_t> ReadAbsSendTime(std::span<const uint8_t> value);
bool WriteAbsSendTime(std::span<uint8_t> value, uint32_t absSendTime);  // low 24 bits used
// Rounds to the nearest 1/2^18 s; negative times wrap like any other (modulo 64 s).
uint32_t AbsSendTimeFromMicros(int64_t micros);
// Inverse, in [0, 64 s).
int64_t AbsSendTimeToMicros(uint32_t absSendTime);

// urn:3gpp:video-orientation (3GPP TS 26.114 7.4.5): one byte "0 0 0 0 C F R1 R0".
struct VideoOrientation {
  bool frontCamera = false;
  bool horizontalFlip = false;
  uint16_t rotationDegrees = 0;  // 0, 90, 180 or 270
};
std::optional<VideoOrientation> ReadVideoOrientation(std::span<const uint8_t> value);

// mid / rtp-stream-id / repaired-rtp-stream-id carry the identifier as raw text (RFC 8843 15,
// RFC 8852 3). Senders may pad the value with trailing zero bytes, which are not part of it.
std::string_view ReadStringExtension(std::span<const uint8_t> value);

}  // namespace myriad::rtp
