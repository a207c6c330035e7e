#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace myriad::loadtest {

// The record LtrVideoSender puts at the start of every RTP payload (after the
// VP8 payload descriptor and frame header, SyntheticMediaSource::
// PayloadHeaderOffset), so a receiver's decoder model (DependencyDecoder)
// knows without a real codec which frame a packet belongs to, how the frame
// was coded and what it predicts from. The server forwards payloads
// untouched.
//
// Wire format, 20 bytes, integers big endian (network order):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   'M' (0x4D)  |   'F' (0x46)  |  version (1)  |L|  0  | type  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |            frame id           |          reference id         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          packet index         |          packet count         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                 send time (steady clock, us)                  |
//   |                          (64 bits)                            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// frame id: the Dependency Descriptor's frame_number of the frame (the id
// long-term reference feedback names). type: 0 key frame (references
// nothing: reference id = frame id), 1 delta frame (references the previous
// frame), 2 recovery frame (references only the long-term reference frame
// `reference id`, sent for an RPSI "recover from"). L: the frame is kept as
// a long-term reference. The frame has `packet count` (1..kMaxPacketsPerFrame)
// packets; this is number `packet index`. The reserved bits are zero.
struct LtrFramePayload {
  static constexpr size_t kSize = 20;
  static constexpr uint8_t kVersion = 1;
  static constexpr std::array<uint8_t, 2> kMagic{0x4D, 0x46};  // "MF"
  // A decoder model tracks a frame's packets in one 64-bit mask.
  static constexpr uint16_t kMaxPacketsPerFrame = 64;

  enum class FrameType : uint8_t { kKey = 0, kDelta = 1, kRecovery = 2 };

  FrameType type = FrameType::kKey;
  bool longTermReference = false;
  uint16_t frameId = 0;
  uint16_t referenceId = 0;
  uint16_t packetIndex = 0;
  uint16_t packetCount = 1;
  int64_t sendTimeUs = 0;

  // The record at the start of `payload`, or nullopt when it is too short,
  // has another magic or version, an unknown type, reserved bits set, a key
  // frame with a reference, a packet index outside the count, or a negative
  // send time.
  static std::optional<LtrFramePayload> Parse(std::span<const uint8_t> payload);
  // Writes the record into the first kSize bytes of `out`; returns kSize, or
  // 0 when `out` is shorter or the record breaks the rules above.
  size_t Serialize(std::span<uint8_t> out) const;

  bool operator==(const LtrFramePayload&) const = default;
};

}  // namespace myriad::loadtest
