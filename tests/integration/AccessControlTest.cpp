// Access tokens against a real server (docs/protocol.md "Access tokens"): a server with a key
// refuses joins without a valid token and publications without their grant; a development-mode
// server admits a join without a token.

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "loadtest/client/MetricsScraper.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SignalingClient.h"
#include "loadtest/client/WebRtcClient.h"
#include "signaling/AccessPolicy.h"
#include "signaling/AccessToken.h"
#include "tests/integration/Await.h"
#include "tests/integration/InProcessServer.h"

namespace myriad::integration {
namespace {

using namespace std::chrono_literals;
using loadtest::MetricsScraper;
using loadtest::RunUntil;
using loadtest::SignalingClient;
using Json = nlohmann::json;

const signaling::AccessKey kKey{"k1", "integration-test-secret-0123456789abcdef"};

std::string Token(const signaling::AccessKey& key, const signaling::Grants& grants,
                  const std::string& room = "guarded", const std::string& name = "") {
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  signaling::AccessClaims claims;
  claims.identity = "user-42";
  claims.name = name;
  claims.room = room;
  claims.issuedAt = now;
  claims.expiresAt = now + 10min;
  claims.grants = grants;
  return signaling::AccessToken::Mint(claims, key);
}

std::string AuthFailures(const char* reason) {
  return std::string("myriad_auth_failures_total{reason=\"") + reason + "\"}";
}

// A Chromium offer: audio (mid 0) and video (mid 1) sendonly, video (2, 3) and audio (4, 5)
// recvonly.
std::string ChromeOffer() {
  std::ifstream file(std::string(MYRIAD_SOURCE_DIR) +
                     "/tests/signaling/fixtures/publish-and-subscribe.sdp");
  REQUIRE(file.good());
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// One signalling connection that records every message and whether the server closed it.
struct Connection {
  explicit Connection(boost::asio::io_context& context, uint16_t port) : client(context) {
    client.SetMessageHandler([this](const Json& message) { messages.push_back(message); });
    client.SetCloseHandler([this] { closed = true; });
    std::optional<std::string> connected;
    client.Connect("127.0.0.1", port, [&](const std::string& error) { connected = error; });
    REQUIRE(RunUntil(
        context, [&] { return connected.has_value(); }, 5s));
    REQUIRE(*connected == "");
  }

  Json Request(boost::asio::io_context& context, Json message) {
    std::optional<Json> reply;
    client.Request(std::move(message), 5s, [&](std::optional<Json> r) {
      reply = r.value_or(Json{{"type", "timeout"}});
    });
    REQUIRE(RunUntil(
        context, [&] { return reply.has_value(); }, 5s));
    return *reply;
  }

  SignalingClient client;
  std::vector<Json> messages;
  bool closed = false;
};

Json JoinMessage(const std::string& name, const std::string& token = "") {
  Json join{{"type", "join"}, {"room", "guarded"}, {"name", name}};
  if (!token.empty()) join["token"] = token;
  return join;
}

}  // namespace

TEST_CASE("A server with keys admits only valid tokens and enforces their grants",
          "[integration][auth]") {
  InProcessServer server([](config::ServerConfig& config) {
    config.auth.keys[kKey.id] = kKey.secret;
    config.auth.development = false;
  });
  boost::asio::io_context context;
  const auto before = server.Metrics();

  SECTION("a join without a token, or with a bad one, gets unauthorized and a closed socket") {
    const signaling::AccessKey development{
        std::string(signaling::AccessPolicy::kDevelopmentKeyId),
        std::string(signaling::AccessPolicy::kDevelopmentSecret)};
    const signaling::AccessKey wrongSecret{kKey.id, "not-the-servers-secret-0123456789abcdef"};
    const std::pair<std::string, const char*> refusals[] = {
        {"", "missing_token"},
        {"garbage", "malformed"},
        {Token(wrongSecret, signaling::Grants::DefaultParticipant()), "bad_signature"},
        {Token(development, signaling::Grants::DefaultParticipant()), "unknown_key"},
        {Token(kKey, signaling::Grants::DefaultParticipant(), "elsewhere"), "wrong_room"},
    };
    for (const auto& [token, reason] : refusals) {
      INFO(reason);
      Connection connection(context, server.HttpPort());
      const Json reply = connection.Request(context, JoinMessage("Eve", token));
      CHECK(reply.value("type", "") == "error");
      CHECK(reply.value("code", "") == "unauthorized");
      CHECK(reply.value("message", "")
                .find(reason == std::string("missing_token") ? "requires an access token"
                                                             : reason) != std::string::npos);
      // Nothing else (the reply went to the request's handler): the server closes the
      // connection.
      REQUIRE(RunUntil(
          context, [&] { return connection.closed; }, 5s));
      CHECK(connection.messages.empty());
    }
    const auto after = server.Metrics();
    for (const auto& [token, reason] : refusals) {
      INFO(reason);
      CHECK(MetricsScraper::Value(after, AuthFailures(reason)) -
                MetricsScraper::Value(before, AuthFailures(reason)) ==
            1);
    }
  }

  SECTION("the load generator's client sends its token with the join") {
    loadtest::WebRtcClient::Options options;
    options.port = server.HttpPort();
    options.token = Token(kKey, signaling::Grants::DefaultParticipant());
    loadtest::WebRtcClient admitted(context, options);
    CHECK(Await(context, [&](auto done) { admitted.Join("guarded", "Client", done); }) == "");
    options.token.clear();
    loadtest::WebRtcClient refused(context, options);
    CHECK(Await(context, [&](auto done) {
            refused.Join("guarded", "Anon", done);
          }).find("unauthorized") != std::string::npos);
  }

  SECTION("a token without the join grant gets forbidden") {
    signaling::Grants noJoin = signaling::Grants::DefaultParticipant();
    noJoin.join = false;
    Connection connection(context, server.HttpPort());
    const Json reply = connection.Request(context, JoinMessage("Eve", Token(kKey, noJoin)));
    CHECK(reply.value("code", "") == "forbidden");
  }

  SECTION("a valid token joins; publications and subscriptions need their grants") {
    // Audio only, no video, no subscribe; the token's name replaces the typed one.
    signaling::Grants audioOnly;
    audioOnly.join = true;
    audioOnly.publishAudio = true;
    Connection speaker(context, server.HttpPort());
    const Json joined = speaker.Request(
        context, JoinMessage("Typed", Token(kKey, audioOnly, "guarded", "Token Name")));
    REQUIRE(joined.value("type", "") == "joined");

    const Json answer = speaker.Request(
        context,
        Json{{"type", "offer"},
             {"sdp", ChromeOffer()},
             {"publish", {{"0", {{"source", "microphone"}}}, {"1", {{"source", "camera"}}}}},
             {"slots", {{"4", 0}}}});
    REQUIRE(answer.value("type", "") == "answer");
    // The microphone is published, the camera refused (port 0), the slot left unbound.
    CHECK(answer["tracks"].contains("0"));
    CHECK_FALSE(answer["tracks"].contains("1"));
    const Json rejected = answer["rejected"];
    CHECK(std::find(rejected.begin(), rejected.end(), "1") != rejected.end());
    CHECK(std::find(rejected.begin(), rejected.end(), "4") != rejected.end());
    CHECK(std::find(rejected.begin(), rejected.end(), "0") == rejected.end());
    REQUIRE(answer.contains("warnings"));
    std::map<std::string, std::string> warnings;
    for (const auto& warning : answer["warnings"]) {
      warnings[warning.value("mid", "")] = warning.value("code", "");
    }
    CHECK(warnings == std::map<std::string, std::string>{{"1", "forbidden"}, {"4", "forbidden"}});
    const std::string sdp = answer.value("sdp", "");
    CHECK(sdp.find("m=video 0 ") != std::string::npos);

    // Another participant sees the token's name and only the microphone.
    Connection viewer(context, server.HttpPort());
    const Json seen = viewer.Request(
        context, JoinMessage("Viewer", Token(kKey, signaling::Grants::DefaultParticipant())));
    REQUIRE(seen.value("type", "") == "joined");
    REQUIRE(seen["participants"].size() == 1);
    CHECK(seen["participants"][0].value("name", "") == "Token Name");
    CHECK(seen["participants"][0]["tracks"].size() == 1);
    CHECK(seen["participants"][0]["tracks"][0].value("kind", "") == "audio");

    const auto after = server.Metrics();
    CHECK(MetricsScraper::Value(after, AuthFailures("forbidden_publish")) -
              MetricsScraper::Value(before, AuthFailures("forbidden_publish")) ==
          1);
    CHECK(MetricsScraper::Value(after, AuthFailures("forbidden_subscribe")) -
              MetricsScraper::Value(before, AuthFailures("forbidden_subscribe")) ==
          1);
  }
}

TEST_CASE("A development-mode server admits a join without a token", "[integration][auth]") {
  // No keys configured: development mode, as for every other integration test.
  InProcessServer server;
  boost::asio::io_context context;
  Connection anonymous(context, server.HttpPort());
  const Json joined = anonymous.Request(context, JoinMessage("Anonymous"));
  CHECK(joined.value("type", "") == "joined");
  // ... and still checks a token when one is sent.
  Connection forged(context, server.HttpPort());
  const Json refused = forged.Request(
      context, JoinMessage("Forged", Token(kKey, signaling::Grants::DefaultParticipant())));
  CHECK(refused.value("code", "") == "unauthorized");
  // A token signed with the development key is accepted.
  const signaling::AccessKey development{std::string(signaling::AccessPolicy::kDevelopmentKeyId),
                                         std::string(signaling::AccessPolicy::kDevelopmentSecret)};
  Connection minted(context, server.HttpPort());
  CHECK(minted
            .Request(context, JoinMessage("Minted", Token(development,
                                                          signaling::Grants::DefaultParticipant())))
            .value("type", "") == "joined");
}

}  // namespace myriad::integration
