#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace myriad::signaling {

// The "base64url" alphabet of RFC 4648 section 5 without '=' padding, as JWS (RFC 7515 section 2)
// requires for every part of a compact token.
class Base64Url {
 public:
  static std::string Encode(std::span<const std::uint8_t> bytes);
  static std::string Encode(std::string_view text);
  // nullopt for a character outside the alphabet, padding, a length that no encoding has
  // (length % 4 == 1), or non-zero bits left over in the last character (RFC 4648 section 3.5:
  // such text is not the canonical encoding of any bytes, so a token cannot be re-spelled).
  static std::optional<std::vector<std::uint8_t>> Decode(std::string_view text);
  // Decode, as text.
  static std::optional<std::string> DecodeToString(std::string_view text);
};

}  // namespace myriad::signaling
