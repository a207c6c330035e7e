#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "signaling/AccessToken.h"
#include "signaling/ClientRequest.h"
#include "signaling/Grants.h"

namespace myriad::signaling {

// Who may join: the outcome of checking a `join` against the server's keys.
struct Admission {
  bool admitted = false;
  // Admitted: who joins and what it may do. identity is "" for a development-mode join without
  // a token; name is the token's `name` when it has one, else the join's.
  std::string identity;
  std::string name;
  Grants grants;
  // Refused: the `error` code ("unauthorized": no valid token; "forbidden": a valid token
  // without the join grant), the myriad_auth_failures_total reason (missing_token, an
  // AccessToken::ErrorName, no_join_grant) and a message for the client.
  std::string code;
  std::string reason;
  std::string message;
};

// The server's access rules (docs/protocol.md "Access tokens"): the keys it accepts and whether
// it runs in development mode. In development mode (asked for, or no keys configured) the
// well-known development key is accepted too and a join without a token is admitted with
// Grants::DefaultParticipant(); a join that carries a token is always verified.
class AccessPolicy {
 public:
  // Well known on purpose: anyone can mint tokens for a development server.
  static constexpr std::string_view kDevelopmentKeyId = "dev";
  static constexpr std::string_view kDevelopmentSecret =
      "myriad-development-key-well-known-never-use-in-production";

  AccessPolicy(AccessKeys keys, bool development);

  bool DevelopmentMode() const { return development_; }
  // The keys tokens are verified with: the configured ones, plus the development key in
  // development mode.
  const AccessKeys& Keys() const { return keys_; }

  // The key `myriad token` signs with: `keyId` when given, else the only configured key, else
  // (no key configured) the development key. nullopt with `error` set when keyId names no key or
  // several keys leave the choice open.
  std::optional<AccessKey> SigningKey(std::string_view keyId, std::string* error) const;

  Admission Admit(const JoinRequest& join, std::chrono::sys_seconds now) const;

  // The display name of a participant whose join and token name none: its identity, control
  // characters replaced and cut to kMaxDisplayNameFromIdentity bytes.
  static constexpr size_t kMaxDisplayNameFromIdentity = 64;
  static std::string DisplayNameFromIdentity(std::string_view identity);

 private:
  AccessKeys keys_;
  bool development_;
  // The only configured key's id, the development key's when none is configured, else "".
  std::string defaultSigningKeyId_;
};

}  // namespace myriad::signaling
