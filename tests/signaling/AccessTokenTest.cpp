#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "signaling/AccessToken.h"
#include "signaling/Base64Url.h"

using myriad::signaling::AccessClaims;
using myriad::signaling::AccessKey;
using myriad::signaling::AccessKeys;
using myriad::signaling::AccessToken;
using myriad::signaling::AccessTokenError;
using myriad::signaling::Base64Url;
using myriad::signaling::Grants;
using namespace std::chrono_literals;
using Seconds = std::chrono::sys_seconds;

namespace {

const Seconds kNow{1700000000s};
const AccessKey kKey{"k1", "0123456789abcdef0123456789abcdef"};
const AccessKeys kKeys{{"k1", "0123456789abcdef0123456789abcdef"}};

AccessClaims Claims() {
  AccessClaims claims;
  claims.identity = "alice";
  claims.name = "Alice";
  claims.room = "demo";
  claims.issuedAt = kNow;
  claims.expiresAt = kNow + 1h;
  claims.grants = Grants::DefaultParticipant();
  return claims;
}

AccessTokenError ErrorOf(const std::string& token, const AccessKeys& keys = kKeys,
                         Seconds now = kNow, const std::string& room = "demo") {
  const auto result = AccessToken::Verify(token, keys, now, room);
  INFO(token);
  REQUIRE_FALSE(result.claims.has_value());
  return result.error;
}

// The three parts of a compact JWS.
struct Parts {
  std::string header;
  std::string payload;
  std::string signature;
};

Parts Split(const std::string& token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  return {token.substr(0, first), token.substr(first + 1, second - first - 1),
          token.substr(second + 1)};
}

std::string Join(const Parts& parts) {
  return parts.header + "." + parts.payload + "." + parts.signature;
}

std::string EncodeJson(const nlohmann::json& json) { return Base64Url::Encode(json.dump()); }

// A token over any header and payload, signed with kKey by OpenSSL directly: when it is refused,
// the signature is not the reason.
std::string SignedToken(const nlohmann::json& header, const nlohmann::json& payload) {
  const std::string input = EncodeJson(header) + "." + EncodeJson(payload);
  unsigned char mac[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), kKey.secret.data(), static_cast<int>(kKey.secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
  return input + "." + Base64Url::Encode(std::span<const std::uint8_t>(mac, length));
}

const nlohmann::json kHeader{{"alg", "HS256"}, {"kid", "k1"}};

}  // namespace

TEST_CASE("A minted token verifies to the same claims", "[signaling][auth]") {
  AccessClaims claims = Claims();
  claims.notBefore = kNow - 1min;
  const std::string token = AccessToken::Mint(claims, kKey);
  CHECK(std::count(token.begin(), token.end(), '.') == 2);
  CHECK(token.find('=') == std::string::npos);
  const auto result = AccessToken::Verify(token, kKeys, kNow, "demo");
  REQUIRE(result.claims.has_value());
  CHECK(*result.claims == claims);

  // The header names the algorithm and the key.
  const auto header = nlohmann::json::parse(*Base64Url::DecodeToString(Split(token).header));
  CHECK(header == nlohmann::json{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "k1"}});
}

TEST_CASE("Mint matches a token computed with openssl dgst", "[signaling][auth]") {
  // printf '%s' "$H.$P" | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef -binary,
  // base64url without padding, over the header {"alg":"HS256","kid":"test","typ":"JWT"} and
  // the payload below (nlohmann writes object keys sorted).
  constexpr const char* kExpected =
      "eyJhbGciOiJIUzI1NiIsImtpZCI6InRlc3QiLCJ0eXAiOiJKV1QifQ."
      "eyJleHAiOjE3MDAwMDM2MDAsImdyYW50cyI6eyJhZG1pbiI6ZmFsc2UsImpvaW4iOnRydWUsInB1Ymxpc2hBdWRp"
      "byI6dHJ1ZSwicHVibGlzaFNjcmVlbiI6ZmFsc2UsInB1Ymxpc2hWaWRlbyI6ZmFsc2UsInN1YnNjcmliZSI6dHJ1"
      "ZX0sImlhdCI6MTcwMDAwMDAwMCwibmFtZSI6IkFsaWNlIiwicm9vbSI6ImRlbW8iLCJzdWIiOiJhbGljZSJ9."
      "YkiFXJPnAujjkpbV93GNkPRtgvIDP_WjkagIs5a74D4";
  AccessClaims claims = Claims();
  claims.grants = Grants{};
  claims.grants.join = true;
  claims.grants.publishAudio = true;
  claims.grants.subscribe = true;
  CHECK(AccessToken::Mint(claims, AccessKey{"test", kKey.secret}) == kExpected);
}

TEST_CASE("Verify accepts a token minted elsewhere (openssl dgst)", "[signaling][auth]") {
  // Header {"alg":"HS256","typ":"JWT","kid":"test"}, payload {"sub":"alice","name":"Alice",
  // "room":"demo","iat":1700000000,"exp":1700003600,"grants":{"join":true,"publishAudio":true,
  // "subscribe":true}}: other key order, grants left out, as another minter writes them.
  constexpr const char* kToken =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InRlc3QifQ."
      "eyJzdWIiOiJhbGljZSIsIm5hbWUiOiJBbGljZSIsInJvb20iOiJkZW1vIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAi"
      "OjE3MDAwMDM2MDAsImdyYW50cyI6eyJqb2luIjp0cnVlLCJwdWJsaXNoQXVkaW8iOnRydWUsInN1YnNjcmliZSI6"
      "dHJ1ZX19."
      "j3OW1GO4oQd0BK9BZu2Cr-EydC2KM43KvUcorwr9eTM";
  const AccessKeys keys{{"test", kKey.secret}};
  const auto result = AccessToken::Verify(kToken, keys, kNow, "demo");
  REQUIRE(result.claims.has_value());
  CHECK(result.claims->identity == "alice");
  CHECK(result.claims->name == "Alice");
  CHECK(result.claims->expiresAt == kNow + 1h);
  CHECK(result.claims->grants.join);
  CHECK(result.claims->grants.publishAudio);
  CHECK_FALSE(result.claims->grants.publishVideo);
  CHECK_FALSE(result.claims->grants.admin);
  // One bit of the secret changed: refused.
  CHECK(ErrorOf(kToken, {{"test", "1123456789abcdef0123456789abcdef"}}) ==
        AccessTokenError::BadSignature);
}

TEST_CASE("Tokens are valid from nbf to exp, with the clock skew allowance", "[signaling][auth]") {
  AccessClaims claims = Claims();
  claims.notBefore = kNow + 10min;
  const std::string token = AccessToken::Mint(claims, kKey);
  const auto skew = AccessToken::kClockSkew;
  CHECK(ErrorOf(token, kKeys, kNow) == AccessTokenError::NotYetValid);
  CHECK(ErrorOf(token, kKeys, kNow + 10min - skew - 1s) == AccessTokenError::NotYetValid);
  CHECK(AccessToken::Verify(token, kKeys, kNow + 10min - skew, "demo").claims.has_value());
  CHECK(AccessToken::Verify(token, kKeys, kNow + 1h + skew - 1s, "demo").claims.has_value());
  CHECK(ErrorOf(token, kKeys, kNow + 1h + skew) == AccessTokenError::Expired);
  CHECK(ErrorOf(token, kKeys, kNow + 24h) == AccessTokenError::Expired);
}

TEST_CASE("A token for another room is refused", "[signaling][auth]") {
  const std::string token = AccessToken::Mint(Claims(), kKey);
  CHECK(ErrorOf(token, kKeys, kNow, "other") == AccessTokenError::WrongRoom);
  CHECK(ErrorOf(token, kKeys, kNow, "Demo") == AccessTokenError::WrongRoom);
}

TEST_CASE("Keys: wrong secret, unknown kid, rotation, no kid", "[signaling][auth]") {
  const std::string token = AccessToken::Mint(Claims(), kKey);
  CHECK(ErrorOf(token, {{"k1", "another-secret-of-at-least-32-bytes!"}}) ==
        AccessTokenError::BadSignature);
  CHECK(ErrorOf(token, {{"k2", kKey.secret}}) == AccessTokenError::UnknownKey);
  CHECK(ErrorOf(token, {}) == AccessTokenError::UnknownKey);
  // Rotation: the old key still verifies its tokens next to the new one.
  const AccessKeys rotated{{"k1", kKey.secret}, {"k2", "the-new-secret-0123456789abcdefghij"}};
  CHECK(AccessToken::Verify(token, rotated, kNow, "demo").claims.has_value());
  const std::string newToken =
      AccessToken::Mint(Claims(), AccessKey{"k2", "the-new-secret-0123456789abcdefghij"});
  CHECK(AccessToken::Verify(newToken, rotated, kNow, "demo").claims.has_value());
  CHECK(ErrorOf(newToken, kKeys) == AccessTokenError::UnknownKey);

  // Without kid: checked with the only key, refused when there are several.
  const std::string anonymous = AccessToken::Mint(Claims(), AccessKey{"", kKey.secret});
  CHECK(AccessToken::Verify(anonymous, kKeys, kNow, "demo").claims.has_value());
  CHECK(ErrorOf(anonymous, rotated) == AccessTokenError::UnknownKey);
}

TEST_CASE("A tampered header, payload or signature is refused", "[signaling][auth]") {
  const std::string token = AccessToken::Mint(Claims(), kKey);
  const Parts parts = Split(token);

  SECTION("payload: more grants, same signature") {
    auto payload = nlohmann::json::parse(*Base64Url::DecodeToString(parts.payload));
    payload["grants"]["admin"] = true;
    CHECK(ErrorOf(Join({parts.header, EncodeJson(payload), parts.signature})) ==
          AccessTokenError::BadSignature);
    payload = nlohmann::json::parse(*Base64Url::DecodeToString(parts.payload));
    payload["room"] = "other";
    CHECK(ErrorOf(Join({parts.header, EncodeJson(payload), parts.signature}), kKeys, kNow,
                  "other") == AccessTokenError::BadSignature);
  }
  SECTION("header: another key id with the same secret still changes the signing input") {
    const nlohmann::json header{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "k2"}};
    CHECK(ErrorOf(Join({EncodeJson(header), parts.payload, parts.signature}),
                  {{"k1", kKey.secret}, {"k2", kKey.secret}}) == AccessTokenError::BadSignature);
  }
  SECTION("signature: every character position") {
    for (size_t i = 0; i < parts.signature.size(); ++i) {
      Parts changed = parts;
      changed.signature[i] = changed.signature[i] == 'A' ? 'B' : 'A';
      const auto error = ErrorOf(Join(changed));
      // The last character carries 2 unused bits: a change there may make it non-canonical.
      CHECK((error == AccessTokenError::BadSignature || error == AccessTokenError::Malformed));
    }
    CHECK(ErrorOf(Join({parts.header, parts.payload, ""})) == AccessTokenError::BadSignature);
    CHECK(ErrorOf(Join({parts.header, parts.payload, parts.signature.substr(0, 40)})) ==
          AccessTokenError::BadSignature);
    CHECK(ErrorOf(Join({parts.header, parts.payload, parts.signature + "AAAA"})) ==
          AccessTokenError::BadSignature);
  }
}

TEST_CASE("Only HS256 is accepted", "[signaling][auth]") {
  const std::string token = AccessToken::Mint(Claims(), kKey);
  const Parts parts = Split(token);
  for (const char* alg : {"none", "None", "HS512", "RS256", "hs256", ""}) {
    INFO(alg);
    const nlohmann::json header{{"alg", alg}, {"typ", "JWT"}, {"kid", "k1"}};
    // An unsecured JWS (RFC 7515 appendix A.5) has an empty signature.
    CHECK(ErrorOf(Join({EncodeJson(header), parts.payload, ""})) ==
          AccessTokenError::UnsupportedAlgorithm);
    CHECK(ErrorOf(Join({EncodeJson(header), parts.payload, parts.signature})) ==
          AccessTokenError::UnsupportedAlgorithm);
  }
  CHECK(ErrorOf(Join({EncodeJson({{"typ", "JWT"}, {"kid", "k1"}}), parts.payload, ""})) ==
        AccessTokenError::UnsupportedAlgorithm);
  CHECK(ErrorOf(Join({EncodeJson({{"alg", 256}}), parts.payload, ""})) ==
        AccessTokenError::UnsupportedAlgorithm);
  CHECK(ErrorOf(Join({EncodeJson({{"alg", "HS256"}, {"kid", "k1"}, {"crit", {"exp"}}}),
                      parts.payload, parts.signature})) == AccessTokenError::UnsupportedAlgorithm);
}

TEST_CASE("Malformed tokens are refused without throwing", "[signaling][auth]") {
  const std::string token = AccessToken::Mint(Claims(), kKey);
  const Parts parts = Split(token);
  const std::string notJson = Base64Url::Encode(std::string_view("{not json"));
  for (const std::string& bad : {
           std::string(""),
           std::string("."),
           std::string(".."),
           std::string("abc"),
           parts.header + "." + parts.payload,
           token + ".",
           token + ".x",
           std::string("!!!.") + parts.payload + "." + parts.signature,
           notJson + "." + parts.payload + "." + parts.signature,
           Base64Url::Encode(std::string_view("[1,2]")) + "." + parts.payload + "." +
               parts.signature,
           parts.header + "." + parts.payload + "." + parts.signature + "=",
           std::string(AccessToken::kMaxTokenLength + 1, 'a'),
       }) {
    INFO(bad.substr(0, 80));
    CHECK(ErrorOf(bad) == AccessTokenError::Malformed);
  }
}

TEST_CASE("Signed payloads with missing or mistyped claims are malformed", "[signaling][auth]") {
  const nlohmann::json valid{{"sub", "alice"}, {"room", "demo"}, {"exp", 1700003600}};
  REQUIRE(AccessToken::Verify(SignedToken(kHeader, valid), kKeys, kNow, "demo").claims);
  // Fractional NumericDates are allowed (RFC 7519 section 2).
  nlohmann::json fractional = valid;
  fractional["exp"] = 1700003600.5;
  CHECK(AccessToken::Verify(SignedToken(kHeader, fractional), kKeys, kNow, "demo").claims);

  const std::pair<const char*, nlohmann::json> changes[] = {
      {"sub", nullptr},
      {"sub", ""},
      {"sub", 7},
      {"room", nullptr},
      {"room", true},
      {"exp", nullptr},
      {"exp", "1700003600"},
      {"exp", 1e300},
      {"exp", 18446744073709551615ULL},
      {"nbf", "soon"},
      {"iat", nlohmann::json::array()},
      {"name", 5},
      {"grants", "join"},
      {"grants", {{"join", "yes"}}},
  };
  for (const auto& [claim, value] : changes) {
    nlohmann::json payload = valid;
    if (value.is_null()) {
      payload.erase(claim);
    } else {
      payload[claim] = value;
    }
    INFO(payload.dump());
    CHECK(ErrorOf(SignedToken(kHeader, payload)) == AccessTokenError::Malformed);
  }
  // A payload that is not a JSON object.
  CHECK(ErrorOf(SignedToken(kHeader, nlohmann::json::array({1, 2}))) ==
        AccessTokenError::Malformed);
  CHECK(ErrorOf(SignedToken(kHeader, "text")) == AccessTokenError::Malformed);
  // A mistyped kid.
  CHECK(ErrorOf(SignedToken({{"alg", "HS256"}, {"kid", 1}}, valid)) == AccessTokenError::Malformed);
}

TEST_CASE("A token without grants admits to nothing", "[signaling][auth]") {
  const auto result = AccessToken::Verify(
      SignedToken(kHeader, {{"sub", "bob"}, {"room", "demo"}, {"exp", 1700003600}}), kKeys, kNow,
      "demo");
  REQUIRE(result.claims);
  CHECK(result.claims->grants == Grants{});
}

TEST_CASE("Error names are the documented reasons", "[signaling][auth]") {
  CHECK(AccessToken::ErrorName(AccessTokenError::Malformed) == "malformed");
  CHECK(AccessToken::ErrorName(AccessTokenError::UnsupportedAlgorithm) == "unsupported_algorithm");
  CHECK(AccessToken::ErrorName(AccessTokenError::UnknownKey) == "unknown_key");
  CHECK(AccessToken::ErrorName(AccessTokenError::BadSignature) == "bad_signature");
  CHECK(AccessToken::ErrorName(AccessTokenError::Expired) == "expired");
  CHECK(AccessToken::ErrorName(AccessTokenError::NotYetValid) == "not_yet_valid");
  CHECK(AccessToken::ErrorName(AccessTokenError::WrongRoom) == "wrong_room");
}
