#include "signaling/AccessToken.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "signaling/Base64Url.h"

namespace myriad::signaling {
namespace {

using Json = nlohmann::json;
using Signature = std::array<std::uint8_t, 32>;  // SHA-256 output

// RFC 7518 section 3.2: HMAC-SHA256 over the ASCII of "header.payload" (the JWS signing input).
std::optional<Signature> Sign(std::string_view signingInput, std::string_view secret) {
  Signature mac{};
  unsigned int length = 0;
  // A non-null key pointer even for an empty secret: OpenSSL treats a null key as "keep the
  // previous key" in some versions.
  static constexpr unsigned char kEmpty = 0;
  const auto* key =
      secret.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(secret.data());
  if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(signingInput.data()), signingInput.size(),
           mac.data(), &length) == nullptr ||
      length != mac.size()) {
    return std::nullopt;
  }
  return mac;
}

Json ParseObject(std::string_view part) {
  const auto text = Base64Url::DecodeToString(part);
  if (!text) return Json(Json::value_t::discarded);
  Json json = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return Json(Json::value_t::discarded);
  return json;
}

// RFC 7519 section 2 NumericDate: seconds since the epoch, possibly fractional (truncated here).
// nullopt for anything else, or a value outside what sys_seconds can represent sensibly.
std::optional<std::chrono::sys_seconds> NumericDate(const Json& value) {
  // Year 10000: far enough for any token, small enough that arithmetic with it cannot overflow.
  constexpr std::int64_t kLatest = 253402300800;
  std::int64_t seconds = 0;
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(kLatest)) return std::nullopt;
    seconds = static_cast<std::int64_t>(number);
  } else if (value.is_number_integer()) {
    seconds = value.get<std::int64_t>();
  } else if (value.is_number_float()) {
    const double number = value.get<double>();
    if (!std::isfinite(number) || std::fabs(number) > static_cast<double>(kLatest)) {
      return std::nullopt;
    }
    seconds = static_cast<std::int64_t>(number);
  } else {
    return std::nullopt;
  }
  if (seconds < -kLatest || seconds > kLatest) return std::nullopt;
  return std::chrono::sys_seconds(std::chrono::seconds(seconds));
}

// Reads the claims of a payload whose signature is already checked.
std::optional<AccessClaims> ReadClaims(const Json& payload) {
  AccessClaims claims;
  const auto sub = payload.find("sub");
  const auto room = payload.find("room");
  const auto exp = payload.find("exp");
  if (sub == payload.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty()) {
    return std::nullopt;
  }
  if (room == payload.end() || !room->is_string()) return std::nullopt;
  if (exp == payload.end()) return std::nullopt;
  claims.identity = sub->get<std::string>();
  claims.room = room->get<std::string>();
  const auto expiresAt = NumericDate(*exp);
  if (!expiresAt) return std::nullopt;
  claims.expiresAt = *expiresAt;
  if (const auto name = payload.find("name"); name != payload.end()) {
    if (!name->is_string()) return std::nullopt;
    claims.name = name->get<std::string>();
  }
  if (const auto iat = payload.find("iat"); iat != payload.end()) {
    const auto issuedAt = NumericDate(*iat);
    if (!issuedAt) return std::nullopt;
    claims.issuedAt = *issuedAt;
  }
  if (const auto nbf = payload.find("nbf"); nbf != payload.end()) {
    claims.notBefore = NumericDate(*nbf);
    if (!claims.notBefore) return std::nullopt;
  }
  if (const auto grants = payload.find("grants"); grants != payload.end()) {
    const auto parsed = Grants::FromJson(*grants);
    if (!parsed) return std::nullopt;
    claims.grants = *parsed;
  }
  return claims;
}

AccessTokenResult Failure(AccessTokenError error) { return {std::nullopt, error}; }

AccessTokenResult VerifyOrThrow(std::string_view token, const AccessKeys& keys,
                                std::chrono::sys_seconds now, std::string_view expectedRoom) {
  if (token.size() > AccessToken::kMaxTokenLength) return Failure(AccessTokenError::Malformed);
  const auto firstDot = token.find('.');
  const auto secondDot =
      firstDot == std::string_view::npos ? std::string_view::npos : token.find('.', firstDot + 1);
  if (secondDot == std::string_view::npos ||
      token.find('.', secondDot + 1) != std::string_view::npos) {
    return Failure(AccessTokenError::Malformed);
  }
  const std::string_view headerPart = token.substr(0, firstDot);
  const std::string_view payloadPart = token.substr(firstDot + 1, secondDot - firstDot - 1);
  const std::string_view signaturePart = token.substr(secondDot + 1);

  const Json header = ParseObject(headerPart);
  if (header.is_discarded()) return Failure(AccessTokenError::Malformed);
  // The algorithm comes from the server, never from the token: only HS256 is accepted, so
  // "none" and algorithm-confusion tokens (RS256 verified with an HMAC key) fail here.
  const auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() ||
      alg->get_ref<const std::string&>() != AccessToken::kAlgorithm) {
    return Failure(AccessTokenError::UnsupportedAlgorithm);
  }
  // RFC 7515 section 4.1.11: extensions we do not understand listed in `crit` must be refused,
  // and we understand none.
  if (header.contains("crit")) return Failure(AccessTokenError::UnsupportedAlgorithm);

  const std::string* secret = nullptr;
  if (const auto kid = header.find("kid"); kid != header.end()) {
    if (!kid->is_string()) return Failure(AccessTokenError::Malformed);
    const auto key = keys.find(kid->get_ref<const std::string&>());
    if (key == keys.end()) return Failure(AccessTokenError::UnknownKey);
    secret = &key->second;
  } else if (keys.size() == 1) {
    secret = &keys.begin()->second;
  } else {
    return Failure(AccessTokenError::UnknownKey);
  }

  const auto signature = Base64Url::Decode(signaturePart);
  if (!signature) return Failure(AccessTokenError::Malformed);
  const auto expected = Sign(token.substr(0, secondDot), *secret);
  if (!expected || signature->size() != expected->size() ||
      CRYPTO_memcmp(signature->data(), expected->data(), expected->size()) != 0) {
    return Failure(AccessTokenError::BadSignature);
  }

  const Json payload = ParseObject(payloadPart);
  if (payload.is_discarded()) return Failure(AccessTokenError::Malformed);
  auto claims = ReadClaims(payload);
  if (!claims) return Failure(AccessTokenError::Malformed);
  if (now >= claims->expiresAt + AccessToken::kClockSkew) {
    return Failure(AccessTokenError::Expired);
  }
  if (claims->notBefore && now + AccessToken::kClockSkew < *claims->notBefore) {
    return Failure(AccessTokenError::NotYetValid);
  }
  if (claims->room != expectedRoom) return Failure(AccessTokenError::WrongRoom);
  return {std::move(claims), AccessTokenError::Malformed};
}

}  // namespace

std::string AccessToken::Mint(const AccessClaims& claims, const AccessKey& key) {
  Json header{{"alg", kAlgorithm}, {"typ", "JWT"}};
  if (!key.id.empty()) header["kid"] = key.id;
  Json payload{{"sub", claims.identity},
               {"room", claims.room},
               {"iat", claims.issuedAt.time_since_epoch().count()},
               {"exp", claims.expiresAt.time_since_epoch().count()},
               {"grants", claims.grants.ToJson()}};
  if (!claims.name.empty()) payload["name"] = claims.name;
  if (claims.notBefore) payload["nbf"] = claims.notBefore->time_since_epoch().count();
  // Invalid UTF-8 in a claim is replaced rather than thrown on (the claims come from the
  // operator's command line).
  const auto dump = [](const Json& json) {
    return json.dump(-1, ' ', false, Json::error_handler_t::replace);
  };
  std::string token = Base64Url::Encode(dump(header)) + "." + Base64Url::Encode(dump(payload));
  const auto signature = Sign(token, key.secret);
  // HMAC-SHA256 does not fail on valid input short of the process running out of memory.
  if (!signature) throw std::runtime_error("HMAC-SHA256 failed");
  token += '.';
  token += Base64Url::Encode(*signature);
  return token;
}

AccessTokenResult AccessToken::Verify(std::string_view token, const AccessKeys& keys,
                                      std::chrono::sys_seconds now, std::string_view expectedRoom) {
  try {
    return VerifyOrThrow(token, keys, now, expectedRoom);
  } catch (...) {
    // Nothing above throws on bad input (allow_exceptions=false, types checked before get);
    // this keeps out-of-memory from escaping into the signalling thread.
    return Failure(AccessTokenError::Malformed);
  }
}

std::string_view AccessToken::ErrorName(AccessTokenError error) {
  switch (error) {
    case AccessTokenError::Malformed:
      return "malformed";
    case AccessTokenError::UnsupportedAlgorithm:
      return "unsupported_algorithm";
    case AccessTokenError::UnknownKey:
      return "unknown_key";
    case AccessTokenError::BadSignature:
      return "bad_signature";
    case AccessTokenError::Expired:
      return "expired";
    case AccessTokenError::NotYetValid:
      return "not_yet_valid";
    case AccessTokenError::WrongRoom:
      return "wrong_room";
  }
  return "malformed";
}

}  // namespace myriad::signaling
