#include "signaling/AccessPolicy.h"

namespace myriad::signaling {
namespace {

Admission Refusal(std::string code, std::string reason, std::string message) {
  Admission admission;
  admission.code = std::move(code);
  admission.reason = std::move(reason);
  admission.message = std::move(message);
  return admission;
}

}  // namespace

AccessPolicy::AccessPolicy(AccessKeys keys, bool development)
    : keys_(std::move(keys)), development_(development || keys_.empty()) {
  // With several configured keys the operator must say which one signs (rotation).
  if (keys_.size() == 1) defaultSigningKeyId_ = keys_.begin()->first;
  if (keys_.empty()) defaultSigningKeyId_ = kDevelopmentKeyId;
  if (development_) keys_.emplace(kDevelopmentKeyId, kDevelopmentSecret);
}

std::optional<AccessKey> AccessPolicy::SigningKey(std::string_view keyId,
                                                  std::string* error) const {
  const std::string_view id = keyId.empty() ? std::string_view(defaultSigningKeyId_) : keyId;
  if (id.empty()) {
    if (error) *error = "several keys are configured: choose one with --key-id";
    return std::nullopt;
  }
  const auto key = keys_.find(id);
  if (key == keys_.end()) {
    if (error) *error = "no key with id \"" + std::string(id) + "\" is configured";
    return std::nullopt;
  }
  return AccessKey{key->first, key->second};
}

std::string AccessPolicy::DisplayNameFromIdentity(std::string_view identity) {
  std::string name;
  for (const char c : identity) {
    if (name.size() == kMaxDisplayNameFromIdentity) break;
    // Control characters cannot be shown; anything else of the identity can.
    name.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  }
  // A cut may split a multi-byte UTF-8 character: the last character goes whole.
  if (name.size() == kMaxDisplayNameFromIdentity) {
    size_t end = name.size();
    while (end > 0 && (static_cast<unsigned char>(name[end - 1]) & 0xC0) == 0x80) --end;
    if (end > 0 && (static_cast<unsigned char>(name[end - 1]) & 0x80) != 0) name.resize(end - 1);
  }
  return ClientRequestParser::IsValidDisplayName(name) ? name : "participant";
}

Admission AccessPolicy::Admit(const JoinRequest& join, std::chrono::sys_seconds now) const {
  if (join.token.empty()) {
    if (!development_) {
      return Refusal("unauthorized", "missing_token", "this server requires an access token");
    }
    Admission admission;
    admission.admitted = true;
    admission.name = join.name;
    admission.grants = Grants::DefaultParticipant();
    return admission;
  }
  const AccessTokenResult result = AccessToken::Verify(join.token, keys_, now, join.room);
  if (!result.claims) {
    const std::string reason(AccessToken::ErrorName(result.error));
    return Refusal("unauthorized", reason, "invalid access token: " + reason);
  }
  const AccessClaims& claims = *result.claims;
  if (!claims.grants.AllowsJoin()) {
    return Refusal("forbidden", "no_join_grant", "the access token does not grant join");
  }
  Admission admission;
  admission.admitted = true;
  admission.identity = claims.identity;
  // The token's display name must still fit the roster's rules; an unusable one falls back to
  // the join's (which the parser checked), and without that to the identity, cut to fit.
  if (!claims.name.empty() && ClientRequestParser::IsValidDisplayName(claims.name)) {
    admission.name = claims.name;
  } else if (!join.name.empty()) {
    admission.name = join.name;
  } else {
    admission.name = DisplayNameFromIdentity(claims.identity);
  }
  admission.grants = claims.grants;
  return admission;
}

}  // namespace myriad::signaling
