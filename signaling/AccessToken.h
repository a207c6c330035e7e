#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "signaling/Grants.h"

namespace myriad::signaling {

// A signing key: its id (the JWS `kid` header) and its secret (the HMAC key, raw bytes).
struct AccessKey {
  std::string id;
  std::string secret;
};

// The keys a server accepts, by id. Several at once allow rotation: mint with the new key while
// tokens signed with the old one are still accepted.
using AccessKeys = std::map<std::string, std::string, std::less<>>;

// What a token says (RFC 7519 section 4 registered claims plus Myriad's own).
struct AccessClaims {
  std::string identity;  // `sub`: who the bearer is, stable across joins
  std::string name;      // `name` (optional, "" = none): display name, wins over the join's
  std::string room;      // `room`: the one room the token admits to
  std::chrono::sys_seconds issuedAt{};                // `iat`
  std::chrono::sys_seconds expiresAt{};               // `exp`
  std::optional<std::chrono::sys_seconds> notBefore;  // `nbf`
  Grants grants;                                      // `grants`

  bool operator==(const AccessClaims&) const = default;
};

// Why a token was refused; the names (AccessToken::ErrorName) are the `reason` label of
// myriad_auth_failures_total and the text of the `unauthorized` error.
enum class AccessTokenError {
  Malformed,             // not three base64url parts, not JSON, a claim missing or mistyped
  UnsupportedAlgorithm,  // `alg` other than HS256 (notably "none"), or a `crit` header
  UnknownKey,            // `kid` names no configured key (or is missing with several keys)
  BadSignature,          // the HMAC does not match: wrong key or altered token
  Expired,               // now is at or past `exp` (beyond the clock skew allowance)
  NotYetValid,           // now is before `nbf` (beyond the clock skew allowance)
  WrongRoom,             // the token is for another room
};

struct AccessTokenResult {
  std::optional<AccessClaims> claims;                    // set when the token is valid
  AccessTokenError error = AccessTokenError::Malformed;  // meaningful when claims is unset
};

// Access tokens: JWTs (RFC 7519) in JWS compact serialization (RFC 7515 section 7.1), signed
// with HS256 (HMAC-SHA256, RFC 7518 section 3.2). Time is passed in; nothing here reads a clock.
class AccessToken {
 public:
  static constexpr std::string_view kAlgorithm = "HS256";
  // Tolerated difference between the minting and the verifying machine's clocks (RFC 7519
  // sections 4.1.4 and 4.1.5 allow "some small leeway").
  static constexpr std::chrono::seconds kClockSkew{30};
  // Longer input is refused before any decoding: a join message is small.
  static constexpr size_t kMaxTokenLength = 8192;

  // header {"alg":"HS256","typ":"JWT","kid":key.id} (kid left out when key.id is empty).
  static std::string Mint(const AccessClaims& claims, const AccessKey& key);

  // Checks, in this order: the form, the algorithm, the key, the signature, then the claims
  // (validity period at `now`, `room` == expectedRoom). A token without `kid` is checked with
  // the only key when exactly one is configured. Never throws.
  static AccessTokenResult Verify(std::string_view token, const AccessKeys& keys,
                                  std::chrono::sys_seconds now, std::string_view expectedRoom);

  // "malformed", "unsupported_algorithm", "unknown_key", "bad_signature", "expired",
  // "not_yet_valid", "wrong_room".
  static std::string_view ErrorName(AccessTokenError error);
};

}  // namespace myriad::signaling
