#pragma once

// Shared helpers for the wire-format tests: hex literals and "every truncation is rejected".

#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace myriad::rtp::test {

// "80 c8 00 06" -> bytes; whitespace is ignored.
inline std::vector<uint8_t> Hex(std::string_view text) {
  std::vector<uint8_t> bytes;
  int high = -1;
  for (char c : text) {
    int nibble;
    if (c >= '0' && c <= '9') {
      nibble = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      nibble = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      nibble = c - 'A' + 10;
    } else {
      continue;
    }
    if (high < 0) {
      high = nibble;
    } else {
      bytes.push_back(static_cast<uint8_t>(high << 4 | nibble));
      high = -1;
    }
  }
  REQUIRE(high < 0);
  return bytes;
}

inline std::vector<uint8_t> ToVector(std::span<const uint8_t> bytes) {
  return {bytes.begin(), bytes.end()};
}

// Every strict prefix is copied into its own exactly-sized allocation (so ASan flags any read
// past it) and must be rejected by T::Parse.
template <typename T>
void RequireEveryTruncationRejected(const std::vector<uint8_t>& packet) {
  for (size_t size = 0; size < packet.size(); ++size) {
    std::vector<uint8_t> prefix(packet.begin(), packet.begin() + size);
    INFO("truncated to " << size << " of " << packet.size() << " bytes");
    REQUIRE_FALSE(T::Parse(std::span<uint8_t>(prefix)).has_value());
  }
}

// Common RTCP malformations: version != 2, and a length field one word too long.
template <typename T>
void RequireBadVersionAndLengthRejected(const std::vector<uint8_t>& packet) {
  REQUIRE(packet.size() >= 4);
  for (uint8_t version : {0, 1, 3}) {
    std::vector<uint8_t> bad = packet;
    bad[0] = static_cast<uint8_t>((bad[0] & 0x3F) | (version << 6));
    INFO("version " << int{version});
    REQUIRE_FALSE(T::Parse(std::span<uint8_t>(bad)).has_value());
  }
  std::vector<uint8_t> longer = packet;
  const uint16_t length = static_cast<uint16_t>((longer[2] << 8 | longer[3]) + 1);
  longer[2] = static_cast<uint8_t>(length >> 8);
  longer[3] = static_cast<uint8_t>(length);
  REQUIRE_FALSE(T::Parse(std::span<uint8_t>(longer)).has_value());
}

}  // namespace myriad::rtp::test
