#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/TokenCommand.h"
#include "signaling/AccessPolicy.h"
#include "signaling/AccessToken.h"

using myriad::server::TokenCommand;
using myriad::signaling::AccessKeys;
using myriad::signaling::AccessPolicy;
using myriad::signaling::AccessToken;
using myriad::signaling::AccessTokenError;
using namespace std::chrono_literals;
using Environment = std::map<std::string, std::string>;

namespace {

const std::chrono::sys_seconds kNow{1700000000s};
const std::string kSecret = "token-command-test-secret-0123456789";

struct Outcome {
  int status;
  std::string out;
  std::string err;
  std::string Token() const { return out.substr(0, out.find('\n')); }
};

Outcome Run(const std::vector<std::string>& arguments, const Environment& environment = {}) {
  std::ostringstream out;
  std::ostringstream err;
  const int status = TokenCommand::Run(arguments, environment, kNow, out, err);
  return {status, out.str(), err.str()};
}

}  // namespace

TEST_CASE("myriad token signs with the configured key", "[server][auth]") {
  const Environment environment{{"MYRIAD_AUTH_KEYS", R"({"k1": ")" + kSecret + R"("})"}};
  const Outcome outcome = Run({"--room", "demo", "--identity", "alice", "--name=Alice", "--ttl",
                               "600", "--grants", "join,publishAudio,subscribe"},
                              environment);
  INFO(outcome.err);
  REQUIRE(outcome.status == 0);
  CHECK(outcome.err.empty());
  CHECK(outcome.out.back() == '\n');
  const AccessKeys keys{{"k1", kSecret}};
  const auto result = AccessToken::Verify(outcome.Token(), keys, kNow, "demo");
  REQUIRE(result.claims);
  CHECK(result.claims->identity == "alice");
  CHECK(result.claims->name == "Alice");
  CHECK(result.claims->issuedAt == kNow);
  CHECK(result.claims->expiresAt == kNow + 600s);
  CHECK(result.claims->grants.ToList() == "join,publishAudio,subscribe");
  CHECK(AccessToken::Verify(outcome.Token(), keys, kNow + 600s + AccessToken::kClockSkew, "demo")
            .error == AccessTokenError::Expired);
}

TEST_CASE("myriad token defaults: an hour, join/publish/subscribe, the development key",
          "[server][auth]") {
  const Outcome outcome = Run({"--room", "demo", "--identity", "bob"});
  REQUIRE(outcome.status == 0);
  CHECK(outcome.err.find("development key") != std::string::npos);
  const AccessPolicy development(AccessKeys{}, false);
  const auto result = AccessToken::Verify(outcome.Token(), development.Keys(), kNow, "demo");
  REQUIRE(result.claims);
  CHECK(result.claims->expiresAt == kNow + TokenCommand::kDefaultTtl);
  CHECK(result.claims->grants.ToList() == "join,publishAudio,publishVideo,publishScreen,subscribe");
  CHECK(result.claims->name.empty());
}

TEST_CASE("myriad token reads the config file and chooses among several keys", "[server][auth]") {
  const auto path = std::filesystem::path(MYRIAD_BINARY_DIR) / "token-command-test.json";
  std::ofstream(path) << R"({"auth": {"keys": {"old": ")" << kSecret << R"(", "new": ")" << kSecret
                      << "-new"
                      << R"("}}})";
  const Outcome ambiguous = Run({"--room", "demo", "--identity", "c", "--config", path.string()});
  CHECK(ambiguous.status == 1);
  CHECK(ambiguous.err.find("--key-id") != std::string::npos);
  const Outcome chosen = Run({"--room", "demo", "--identity", "c", "--key-id", "new"},
                             {{"MYRIAD_CONFIG", path.string()}});
  REQUIRE(chosen.status == 0);
  CHECK(AccessToken::Verify(chosen.Token(), AccessKeys{{"new", kSecret + "-new"}}, kNow, "demo")
            .claims);
  const Outcome unknown =
      Run({"--room", "demo", "--identity", "c", "--key-id", "dev", "--config", path.string()});
  CHECK(unknown.status == 1);
  std::filesystem::remove(path);
}

TEST_CASE("myriad token usage errors", "[server][auth]") {
  const std::vector<std::string> bad[] = {
      {"--identity", "a"},
      {"--room", "demo"},
      {"--room", "bad room", "--identity", "a"},
      {"--room", "demo", "--identity", ""},
      {"--room", "demo", "--identity", "a", "--ttl", "0"},
      {"--room", "demo", "--identity", "a", "--ttl", "1h"},
      {"--room", "demo", "--identity", "a", "--ttl", "99999999999"},
      {"--room", "demo", "--identity", "a", "--grants", "join,fly"},
      {"--room", "demo", "--identity", "a", "--name", std::string(65, 'n')},
      {"--room", "demo", "--room", "x", "--identity", "a"},
      {"--room", "demo", "--identity", "a", "--colour", "red"},
      {"--room"},
  };
  for (const auto& arguments : bad) {
    const Outcome outcome = Run(arguments);
    INFO(outcome.err);
    CHECK(outcome.status == 2);
    CHECK(outcome.out.empty());
    CHECK(outcome.err.starts_with("myriad token: "));
  }
  const Outcome help = Run({"--help"});
  CHECK(help.status == 0);
  CHECK(help.out.find("--grants LIST") != std::string::npos);
  // A broken config is reported as such.
  const Outcome config =
      Run({"--room", "demo", "--identity", "a"}, {{"MYRIAD_AUTH_KEYS", R"({"k1": "short"})"}});
  CHECK(config.status == 1);
  CHECK(config.err.find("MYRIAD_AUTH_KEYS") != std::string::npos);
  CHECK(config.err.find("short") == std::string::npos);
}
