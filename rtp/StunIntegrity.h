#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace myriad::rtp {

// The two checksums of a STUN message (RFC 5389 15.4 and 15.5), shared by the
// parser and the builder. Both cover "the header with its length field
// adjusted" followed by the attributes before the checksum attribute; taking
// the header separately lets a read-only view check a message without copying it.
class StunIntegrity {
 public:
  using Header = std::array<uint8_t, 20>;
  using Hmac = std::array<uint8_t, 20>;

  // HMAC-SHA1 keyed with `key`. Returns false if OpenSSL fails or the key is
  // empty (see StunMessage::CheckMessageIntegrity).
  static bool HmacSha1(std::string_view key, const Header& header,
                       std::span<const uint8_t> attributes, Hmac& out);

  // CRC-32 (ISO-HDLC, as zlib's) XOR 0x5354554e: the FINGERPRINT value.
  static uint32_t Fingerprint(const Header& header, std::span<const uint8_t> attributes);

  // Plain CRC-32 of `data`, exposed for its known-answer test.
  static uint32_t Crc32(std::span<const uint8_t> data);

  // Header bytes of `message` with the length field replaced by `length`.
  static Header AdjustedHeader(std::span<const uint8_t> message, uint16_t length);
};

}  // namespace myriad::rtp
