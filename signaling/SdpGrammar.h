#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Character classes and number syntax shared by the SDP parser and the answer builder, so that
// what the builder writes is exactly what the parser accepts.
namespace myriad::signaling::sdp_grammar {

inline char ToLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), ToLower);
  return out;
}

inline bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ToLower(x) == ToLower(y);
         });
}

// Decimal without sign or whitespace, at most `max`.
inline std::optional<uint64_t> ParseUnsigned(std::string_view text, uint64_t max) {
  uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

// RFC 8866 §9: token-char = %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E
inline bool IsTokenChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x27) || u == 0x2A || u == 0x2B || u == 0x2D ||
         u == 0x2E || (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5A) ||
         (u >= 0x5E && u <= 0x7E);
}

inline bool IsToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsTokenChar);
}

// Visible characters only: safe to place in an attribute value without changing its meaning.
inline bool IsVisibleText(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7F;
  });
}

inline bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 8122 §5: fingerprint = 2UHEX *(":" 2UHEX); lower case is tolerated.
inline bool IsFingerprint(std::string_view text) {
  if (text.size() < 2 || (text.size() + 1) % 3 != 0) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i % 3 == 2 ? text[i] != ':' : !IsHexDigit(text[i])) return false;
  }
  return true;
}

// RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/"
inline bool IsIceChars(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '+' ||
           c == '/';
  });
}

}  // namespace myriad::signaling::sdp_grammar
