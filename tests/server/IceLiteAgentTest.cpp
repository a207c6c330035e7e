#include <array>
#include <catch2/catch.hpp>

#include "rtp/StunMessage.h"
#include "rtp/StunMessageBuilder.h"
#include "server/transport/IceLiteAgent.h"

using myriad::rtp::StunMessage;
using myriad::rtp::StunMessageBuilder;
using myriad::server::transport::IceLiteAgent;

namespace {

constexpr const char* kLocalUfrag = "srvU";
constexpr const char* kLocalPassword = "server-password-0123456789";
constexpr const char* kRemoteUfrag = "cliU";

struct Request {
  std::array<uint8_t, 512> bytes{};
  size_t size = 0;
  StunMessage Parse() const {
    auto message = StunMessage::Parse(std::span<const uint8_t>(bytes.data(), size));
    REQUIRE(message);
    return *message;
  }
};

Request MakeRequest(std::string_view username, std::string_view password, bool useCandidate,
                    bool controlling = true, uint8_t id = 1) {
  Request request;
  std::array<uint8_t, 12> transaction{};
  transaction.fill(id);
  StunMessageBuilder builder(request.bytes, StunMessage::kBindingRequest, transaction);
  builder.AddUsername(username);
  builder.AddPriority(0x6e7f1eff);
  if (controlling) {
    builder.AddIceControlling(0x1122334455667788ull);
  } else {
    builder.AddIceControlled(0x1122334455667788ull);
  }
  if (useCandidate) builder.AddUseCandidate();
  builder.AddMessageIntegrity(password);
  builder.AddFingerprint();
  request.size = builder.Finish().size();
  REQUIRE(request.size > 0);
  return request;
}

const auto kNow = IceLiteAgent::Clock::time_point{} + std::chrono::seconds(100);
const IceLiteAgent::Endpoint kFrom(boost::asio::ip::make_address("127.0.0.1"), 40000);
const IceLiteAgent::Endpoint kOther(boost::asio::ip::make_address("127.0.0.1"), 40001);

}  // namespace

TEST_CASE("IceLiteAgent answers a valid check with an authenticated XOR-MAPPED-ADDRESS") {
  IceLiteAgent agent(kLocalUfrag, kLocalPassword);
  agent.SetRemoteUfrag(kRemoteUfrag);
  const auto request = MakeRequest("srvU:cliU", kLocalPassword, false);
  std::array<uint8_t, 512> out{};
  const auto result = agent.HandleRequest(request.Parse(), kFrom, out, kNow);
  REQUIRE(result.outcome == IceLiteAgent::Outcome::kRespond);
  CHECK(result.endpointValidated);
  CHECK_FALSE(result.nominationChanged);

  const auto response =
      StunMessage::Parse(std::span<const uint8_t>(out.data(), result.responseSize));
  REQUIRE(response);
  CHECK(response->Type() == StunMessage::kBindingSuccessResponse);
  CHECK(std::equal(response->TransactionId().begin(), response->TransactionId().end(),
                   request.Parse().TransactionId().begin()));
  CHECK(response->CheckMessageIntegrity(kLocalPassword));
  CHECK_FALSE(response->CheckMessageIntegrity("some-other-password-000000"));
  CHECK(response->CheckFingerprint());
  const auto mapped = response->XorMappedAddress();
  REQUIRE(mapped);
  CHECK_FALSE(mapped->ipv6);
  CHECK(mapped->port == 40000);
  CHECK(mapped->address[0] == 127);
  CHECK(mapped->address[3] == 1);
  // Before nomination, the last validated endpoint is where DTLS answers go.
  CHECK(agent.SelectedEndpoint() == kFrom);
  CHECK_FALSE(agent.Nominated());
  CHECK(agent.LastConsent() == kNow);
}

TEST_CASE("IceLiteAgent follows USE-CANDIDATE nomination") {
  IceLiteAgent agent(kLocalUfrag, kLocalPassword);
  std::array<uint8_t, 512> out{};
  agent.HandleRequest(MakeRequest("srvU:cliU", kLocalPassword, true).Parse(), kFrom, out, kNow);
  CHECK(agent.Nominated());
  CHECK(agent.SelectedEndpoint() == kFrom);
  // A later non-nominating check from elsewhere does not move media.
  agent.HandleRequest(MakeRequest("srvU:cliU", kLocalPassword, false).Parse(), kOther, out, kNow);
  CHECK(agent.SelectedEndpoint() == kFrom);
  // A nomination on another pair does.
  const auto result = agent.HandleRequest(MakeRequest("srvU:cliU", kLocalPassword, true).Parse(),
                                          kOther, out, kNow);
  CHECK(result.nominationChanged);
  CHECK(agent.SelectedEndpoint() == kOther);
}

TEST_CASE("IceLiteAgent rejects checks it cannot authenticate") {
  IceLiteAgent agent(kLocalUfrag, kLocalPassword);
  agent.SetRemoteUfrag(kRemoteUfrag);
  std::array<uint8_t, 512> out{};
  SECTION("wrong password") {
    const auto r = agent.HandleRequest(
        MakeRequest("srvU:cliU", "wrong-password-0123456789", true).Parse(), kFrom, out, kNow);
    CHECK(r.outcome == IceLiteAgent::Outcome::kAuthFailed);
  }
  SECTION("wrong local ufrag") {
    const auto r = agent.HandleRequest(MakeRequest("xxxx:cliU", kLocalPassword, true).Parse(),
                                       kFrom, out, kNow);
    CHECK(r.outcome == IceLiteAgent::Outcome::kAuthFailed);
  }
  SECTION("wrong remote ufrag") {
    const auto r = agent.HandleRequest(MakeRequest("srvU:zzzz", kLocalPassword, true).Parse(),
                                       kFrom, out, kNow);
    CHECK(r.outcome == IceLiteAgent::Outcome::kAuthFailed);
  }
  SECTION("no colon in USERNAME") {
    const auto r = agent.HandleRequest(MakeRequest("srvUcliU", kLocalPassword, true).Parse(), kFrom,
                                       out, kNow);
    CHECK(r.outcome == IceLiteAgent::Outcome::kAuthFailed);
  }
  SECTION("a peer that claims the controlled role") {
    const auto r = agent.HandleRequest(
        MakeRequest("srvU:cliU", kLocalPassword, true, /*controlling=*/false).Parse(), kFrom, out,
        kNow);
    CHECK(r.outcome == IceLiteAgent::Outcome::kAuthFailed);
  }
  SECTION("a tampered byte breaks MESSAGE-INTEGRITY") {
    auto request = MakeRequest("srvU:cliU", kLocalPassword, true);
    request.bytes[request.size - 30] ^= 0x01;  // inside the HMAC, before FINGERPRINT
    auto message = StunMessage::Parse(std::span<const uint8_t>(request.bytes.data(), request.size));
    if (message) {
      const auto r = agent.HandleRequest(*message, kFrom, out, kNow);
      CHECK(r.outcome == IceLiteAgent::Outcome::kAuthFailed);
    }
  }
  CHECK_FALSE(agent.SelectedEndpoint().has_value());
  CHECK_FALSE(agent.LastConsent().has_value());
}

TEST_CASE("IceLiteAgent::LocalUfragOf reads the first half of USERNAME") {
  CHECK(IceLiteAgent::LocalUfragOf(MakeRequest("abcd:efgh", kLocalPassword, false).Parse()) ==
        "abcd");
  CHECK(IceLiteAgent::LocalUfragOf(MakeRequest("abcdefgh", kLocalPassword, false).Parse()).empty());
}
