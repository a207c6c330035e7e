#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace myriad::loadtest {

// The record myriad-loadtest puts at the start of every RTP payload it
// sends, so a receiver knows without any signalling who sent a packet, when,
// and which talk spurt it belongs to. The server forwards payloads untouched
// (it rewrites headers only), so the record survives audio-slot switching.
//
// Wire format, 24 bytes, integers big endian (network order, RFC 1700):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   'M' (0x4D)  |   'L' (0x4C)  |  version (1)  |    stream     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                        publisher index                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                 send time (steady clock, us)                  |
//   |                          (64 bits)                            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |        start of the current talk spurt (steady clock, us)     |
//   |                 (64 bits, 0 = not talking)                    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// `stream` is 0 for audio and 1 + the simulcast stream index for video. Any
// bytes after the record are filler. Both times are non-negative and a talk
// spurt never starts after the packet's send time.
struct LoadtestPayload {
  static constexpr size_t kSize = 24;
  static constexpr uint8_t kVersion = 1;
  static constexpr std::array<uint8_t, 2> kMagic{0x4D, 0x4C};  // "ML"
  static constexpr uint8_t kAudioStream = 0;

  uint8_t stream = kAudioStream;
  uint32_t publisherIndex = 0;
  int64_t sendTimeUs = 0;
  int64_t talkSpurtStartUs = 0;

  // The record at the start of `payload`, or nullopt when it is too short,
  // has another magic or version, or breaks the time rules above.
  static std::optional<LoadtestPayload> Parse(std::span<const uint8_t> payload);
  // Writes the record into the first kSize bytes of `out`; returns kSize, or
  // 0 when `out` is shorter or the record breaks the time rules.
  size_t Serialize(std::span<uint8_t> out) const;

  bool operator==(const LoadtestPayload&) const = default;
};

}  // namespace myriad::loadtest
