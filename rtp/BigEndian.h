#pragma once

// Network byte order (big-endian) loads and stores for the wire formats in this folder.
// Callers check bounds before calling: these helpers take raw pointers so that the
// hot parsing paths do not pay for a second bounds check.

#include <cstdint>

namespace myriad::rtp {

inline uint16_t ReadBigEndian16(const uint8_t* p) {
  return static_cast<uint16_t>((static_cast<uint16_t>(p[0]) << 8) | p[1]);
}

inline uint32_t ReadBigEndian24(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 16) | (static_cast<uint32_t>(p[1]) << 8) | p[2];
}

inline uint32_t ReadBigEndian32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}

inline uint64_t ReadBigEndian64(const uint8_t* p) {
  return (static_cast<uint64_t>(ReadBigEndian32(p)) << 32) | ReadBigEndian32(p + 4);
}

inline void WriteBigEndian16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

inline void WriteBigEndian24(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 16);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v);
}

inline void WriteBigEndian32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

inline void WriteBigEndian64(uint8_t* p, uint64_t v) {
  WriteBigEndian32(p, static_cast<uint32_t>(v >> 32));
  WriteBigEndian32(p + 4, static_cast<uint32_t>(v));
}

}  // namespace myriad::rtp
