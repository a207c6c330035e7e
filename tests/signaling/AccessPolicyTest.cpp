#include <catch2/catch.hpp>

#include "signaling/AccessPolicy.h"

using myriad::signaling::AccessClaims;
using myriad::signaling::AccessKey;
using myriad::signaling::AccessKeys;
using myriad::signaling::AccessPolicy;
using myriad::signaling::AccessToken;
using myriad::signaling::Admission;
using myriad::signaling::Grants;
using myriad::signaling::JoinRequest;
using namespace std::chrono_literals;

namespace {

const std::chrono::sys_seconds kNow{1700000000s};
const AccessKey kKey{"k1", "0123456789abcdef0123456789abcdef"};

std::string Token(const AccessKey& key, const Grants& grants, const std::string& name = "") {
  AccessClaims claims;
  claims.identity = "user-7";
  claims.name = name;
  claims.room = "demo";
  claims.issuedAt = kNow;
  claims.expiresAt = kNow + 1h;
  claims.grants = grants;
  return AccessToken::Mint(claims, key);
}

Admission Admit(const AccessPolicy& policy, const std::string& token) {
  return policy.Admit(JoinRequest{"demo", "Typed Name", token}, kNow);
}

}  // namespace

TEST_CASE("With keys configured a join needs a valid token", "[signaling][auth]") {
  const AccessPolicy policy(AccessKeys{{kKey.id, kKey.secret}}, false);
  CHECK_FALSE(policy.DevelopmentMode());
  CHECK(policy.Keys().size() == 1);

  const Admission missing = Admit(policy, "");
  CHECK_FALSE(missing.admitted);
  CHECK(missing.code == "unauthorized");
  CHECK(missing.reason == "missing_token");

  const Admission bad = Admit(policy, "not.a.token");
  CHECK_FALSE(bad.admitted);
  CHECK(bad.code == "unauthorized");
  CHECK(bad.reason == "malformed");
  CHECK(bad.message.find("malformed") != std::string::npos);

  // The development key is not accepted outside development mode.
  const AccessKey development{std::string(AccessPolicy::kDevelopmentKeyId),
                              std::string(AccessPolicy::kDevelopmentSecret)};
  CHECK(Admit(policy, Token(development, Grants::DefaultParticipant())).reason == "unknown_key");

  Grants grants;
  grants.join = true;
  grants.subscribe = true;
  const Admission good = Admit(policy, Token(kKey, grants, "Token Name"));
  REQUIRE(good.admitted);
  CHECK(good.identity == "user-7");
  CHECK(good.name == "Token Name");
  CHECK(good.grants == grants);

  // Without a name in the token, the join's name stays; an unusable one too.
  CHECK(Admit(policy, Token(kKey, grants)).name == "Typed Name");
  CHECK(Admit(policy, Token(kKey, grants, std::string(65, 'x'))).name == "Typed Name");

  // Valid, but without the join grant.
  Grants noJoin = grants;
  noJoin.join = false;
  const Admission forbidden = Admit(policy, Token(kKey, noJoin));
  CHECK_FALSE(forbidden.admitted);
  CHECK(forbidden.code == "forbidden");
  CHECK(forbidden.reason == "no_join_grant");
}

TEST_CASE("Development mode admits joins without a token, and still checks tokens",
          "[signaling][auth]") {
  for (const bool withKeys : {false, true}) {
    INFO(withKeys);
    const AccessPolicy policy(withKeys ? AccessKeys{{kKey.id, kKey.secret}} : AccessKeys{},
                              /*development=*/withKeys);
    CHECK(policy.DevelopmentMode());
    CHECK(policy.Keys().count(std::string(AccessPolicy::kDevelopmentKeyId)) == 1);

    const Admission anonymous = Admit(policy, "");
    REQUIRE(anonymous.admitted);
    CHECK(anonymous.identity.empty());
    CHECK(anonymous.name == "Typed Name");
    CHECK(anonymous.grants == Grants::DefaultParticipant());
    CHECK_FALSE(anonymous.grants.admin);

    // A token is verified: a bad one is refused even here.
    CHECK(Admit(policy, "x.y.z").code == "unauthorized");
    const auto signing = policy.SigningKey("", nullptr);
    REQUIRE(signing);
    CHECK(signing->id == (withKeys ? kKey.id : std::string(AccessPolicy::kDevelopmentKeyId)));
    Grants admin = Grants::DefaultParticipant();
    admin.admin = true;
    const Admission host = Admit(policy, Token(*signing, admin));
    REQUIRE(host.admitted);
    CHECK(host.grants.admin);
  }
}

TEST_CASE("The signing key is the only configured key, or named", "[signaling][auth]") {
  std::string error;
  const AccessPolicy none(AccessKeys{}, false);
  REQUIRE(none.SigningKey("", &error));
  CHECK(none.SigningKey("", &error)->secret == AccessPolicy::kDevelopmentSecret);

  const AccessPolicy two(
      AccessKeys{{"old", kKey.secret}, {"new", "another-secret-0123456789abcdefgh"}}, false);
  CHECK_FALSE(two.SigningKey("", &error));
  CHECK(error.find("--key-id") != std::string::npos);
  REQUIRE(two.SigningKey("new", &error));
  CHECK(two.SigningKey("new", &error)->secret == "another-secret-0123456789abcdefgh");
  CHECK_FALSE(two.SigningKey("dev", &error));
  CHECK(error.find("dev") != std::string::npos);
}

TEST_CASE("A join with a token may leave out its name: the token's, else its identity",
          "[signaling][auth]") {
  const AccessPolicy policy(AccessKeys{{kKey.id, kKey.secret}}, false);
  Grants grants;
  grants.join = true;
  const auto nameless = [&](const std::string& token) {
    return policy.Admit(JoinRequest{"demo", "", token}, kNow);
  };
  CHECK(nameless(Token(kKey, grants, "Token Name")).name == "Token Name");
  const Admission byIdentity = nameless(Token(kKey, grants));
  REQUIRE(byIdentity.admitted);
  CHECK(byIdentity.name == "user-7");
  // An unusable token name falls back to the identity too.
  CHECK(nameless(Token(kKey, grants, std::string(65, 'x'))).name == "user-7");

  // Identities are free-form: control characters become '?', a long one is cut (never inside a
  // UTF-8 character), and one that leaves nothing usable becomes "participant".
  CHECK(AccessPolicy::DisplayNameFromIdentity("a\tb") == "a?b");
  CHECK(AccessPolicy::DisplayNameFromIdentity(std::string(100, 'i')) == std::string(64, 'i'));
  const std::string accented = std::string(63, 'e') + "\xc3\xa9";  // 65 bytes, ends in é
  CHECK(AccessPolicy::DisplayNameFromIdentity(accented) == std::string(63, 'e'));
  CHECK(AccessPolicy::DisplayNameFromIdentity("") == "participant");
}
