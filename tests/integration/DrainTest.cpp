// Graceful drain (Server::Drain, what SIGTERM does; docs/protocol.md "Drain") against a real
// server on loopback: readiness flips at once, joins are refused, every participant is told to
// move, and the server stops as soon as its rooms are empty or when the grace period ends.

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/client/HttpGet.h"
#include "loadtest/client/MetricsScraper.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SignalingClient.h"
#include "tests/integration/InProcessServer.h"

namespace myriad::integration {
namespace {

using namespace std::chrono_literals;
using loadtest::HttpGet;
using loadtest::MetricsScraper;
using loadtest::RunUntil;
using loadtest::SignalingClient;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// One signalling connection and every message it got.
struct Participant {
  explicit Participant(boost::asio::io_context& context) : client(context) {
    client.SetMessageHandler([this](const Json& message) { messages.push_back(message); });
    client.SetCloseHandler([this] { closed = true; });
  }

  std::optional<Json> Find(const std::string& type) const {
    for (const Json& message : messages) {
      if (message.value("type", "") == type) return message;
    }
    return std::nullopt;
  }

  SignalingClient client;
  std::vector<Json> messages;
  bool closed = false;
};

void Connect(boost::asio::io_context& context, Participant& participant, uint16_t port) {
  std::optional<std::string> connected;
  participant.client.Connect("127.0.0.1", port, [&](const std::string& e) { connected = e; });
  REQUIRE(RunUntil(
      context, [&] { return connected.has_value(); }, 5s));
  REQUIRE(*connected == "");
}

Json Join(boost::asio::io_context& context, Participant& participant, const std::string& room,
          const std::string& name) {
  std::optional<Json> reply;
  participant.client.Request(Json{{"type", "join"}, {"room", room}, {"name", name}}, 5s,
                             [&](std::optional<Json> r) {
                               reply = r.value_or(Json{{"type", "timeout"}});
                             });
  REQUIRE(RunUntil(
      context, [&] { return reply.has_value(); }, 5s));
  return *reply;
}

// GET path: {status line outcome, body}; HttpGet reports a non-200 status as an error.
std::string Probe(uint16_t port, const std::string& path) {
  std::string error;
  const auto body = HttpGet::Fetch("127.0.0.1", port, path, 2s, &error);
  return body ? "200 " + *body : error;
}

double MetricValue(uint16_t port, const std::string& series) {
  std::string error;
  const auto samples = MetricsScraper::Fetch("127.0.0.1", port, 2s, &error);
  INFO(error);
  REQUIRE(samples.has_value());
  return MetricsScraper::Value(*samples, series);
}

}  // namespace

TEST_CASE("Drain: readiness off, joins refused, everyone told to move, stop once rooms empty",
          "[integration][drain]") {
  InProcessServer server([](config::ServerConfig& config) {
    config.drain.gracePeriodS = 60;  // far beyond the test: only empty rooms can end it
    config.drain.redirectUrl = "wss://sfu.example.com/rtc";
  });
  boost::asio::io_context context;
  Participant alice(context);
  Participant bob(context);
  Participant carol(context);
  for (Participant* p : {&alice, &bob, &carol}) Connect(context, *p, server.HttpPort());
  // The gauge is process-wide: count from what other tests' servers left.
  const double roomsBefore = MetricValue(server.HttpPort(), "myriad_rooms");
  REQUIRE(Join(context, alice, "drain-a", "Alice").value("type", "") == "joined");
  REQUIRE(Join(context, bob, "drain-a", "Bob").value("type", "") == "joined");
  REQUIRE(Join(context, carol, "drain-b", "Carol").value("type", "") == "joined");
  CHECK(Probe(server.HttpPort(), "/healthz") == "200 ok\n");
  CHECK(Probe(server.HttpPort(), "/livez") == "200 ok\n");
  CHECK(MetricValue(server.HttpPort(), "myriad_draining") == 0);
  // Process-wide counters: other tests in this process may have counted before.
  const double noticesBefore = MetricValue(server.HttpPort(), "myriad_drain_notices_total");
  const std::string refusals = "myriad_signaling_errors_total{code=\"server_draining\"}";
  const double refusalsBefore = MetricValue(server.HttpPort(), refusals);

  server.Drain();

  // Every participant of both rooms gets one `drain` naming the new URL and the deadline.
  REQUIRE(RunUntil(
      context, [&] { return alice.Find("drain") && bob.Find("drain") && carol.Find("drain"); },
      5s));
  for (const Participant* p : {&alice, &bob, &carol}) {
    const Json drain = *p->Find("drain");
    CHECK(drain.value("url", "") == "wss://sfu.example.com/rtc");
    CHECK(drain.value("deadlineMs", 0) == 60000);
    CHECK(drain.value("reason", "") == "server_shutdown");
    CHECK_FALSE(p->Find("left"));
  }
  // Readiness is off for good and says why; liveness and metrics go on.
  CHECK(Probe(server.HttpPort(), "/healthz") == "HTTP status 503");
  CHECK(Probe(server.HttpPort(), "/livez") == "200 ok\n");
  CHECK(MetricValue(server.HttpPort(), "myriad_draining") == 1);
  CHECK(MetricValue(server.HttpPort(), "myriad_drain_notices_total") == noticesBefore + 3);
  const double deadline = MetricValue(server.HttpPort(), "myriad_drain_deadline_timestamp_seconds");
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(deadline > now + 50);
  CHECK(deadline < now + 61);

  // A newcomer is refused and its connection closed; the server is still there for the others.
  Participant dave(context);
  Connect(context, dave, server.HttpPort());
  const Json refused = Join(context, dave, "drain-a", "Dave");
  CHECK(refused.value("type", "") == "error");
  CHECK(refused.value("code", "") == "server_draining");
  REQUIRE(RunUntil(
      context, [&] { return dave.closed; }, 5s));
  CHECK(MetricValue(server.HttpPort(), refusals) == refusalsBefore + 1);

  // Room drain-a empties: the server keeps going for drain-b.
  alice.client.Send(Json{{"type", "leave"}});
  bob.client.Close();
  REQUIRE(RunUntil(
      context, [&] { return alice.closed && bob.closed; }, 5s));
  REQUIRE(RunUntil(
      context, [&] { return MetricValue(server.HttpPort(), "myriad_rooms") == roomsBefore + 1; },
      5s));
  CHECK_FALSE(server.Finished());

  // The last room empties: the server stops by itself, long before its grace period.
  const auto lastLeft = Clock::now();
  carol.client.Close();
  REQUIRE(RunUntil(
      context, [&] { return server.Finished(); }, 10s));
  CHECK(Clock::now() - lastLeft < 5s);
}

TEST_CASE("Drain: whoever stays past the grace period gets left(server_shutdown)",
          "[integration][drain]") {
  InProcessServer server([](config::ServerConfig& config) { config.drain.gracePeriodS = 1; });
  boost::asio::io_context context;
  Participant stubborn(context);
  Connect(context, stubborn, server.HttpPort());
  REQUIRE(Join(context, stubborn, "drain-c", "Stays").value("type", "") == "joined");

  const auto start = Clock::now();
  server.Drain();
  REQUIRE(RunUntil(
      context, [&] { return stubborn.Find("drain").has_value(); }, 5s));
  CHECK_FALSE(stubborn.Find("drain")->contains("url"));  // no redirect: the same URL again
  CHECK(stubborn.Find("drain")->value("deadlineMs", 0) == 1000);

  REQUIRE(RunUntil(
      context, [&] { return stubborn.Find("left").has_value(); }, 5s));
  const auto leftAfter = Clock::now() - start;
  CHECK(stubborn.Find("left")->value("reason", "") == "server_shutdown");
  CHECK(leftAfter >= 1s);
  CHECK(leftAfter < 4s);
  REQUIRE(RunUntil(
      context, [&] { return server.Finished(); }, 10s));
}

TEST_CASE("Drain with a grace period of 0, or a second call, stops at once",
          "[integration][drain]") {
  for (const bool twice : {false, true}) {
    INFO((twice ? "second call" : "grace 0"));
    InProcessServer server(
        [&](config::ServerConfig& config) { config.drain.gracePeriodS = twice ? 60 : 0; });
    boost::asio::io_context context;
    Participant participant(context);
    Connect(context, participant, server.HttpPort());
    REQUIRE(Join(context, participant, "drain-d", "Here").value("type", "") == "joined");

    server.Drain();
    if (twice) {
      REQUIRE(RunUntil(
          context, [&] { return participant.Find("drain").has_value(); }, 5s));
      server.Drain();
    }
    REQUIRE(RunUntil(
        context, [&] { return participant.Find("left").has_value(); }, 5s));
    CHECK(participant.Find("left")->value("reason", "") == "server_shutdown");
    CHECK(participant.Find("drain").has_value() == twice);
    REQUIRE(RunUntil(
        context, [&] { return server.Finished(); }, 10s));
  }
}

TEST_CASE("A server stopped with rooms open stops counting them", "[integration][drain]") {
  boost::asio::io_context context;
  double roomsBefore = 0;
  {
    InProcessServer server;
    roomsBefore = MetricValue(server.HttpPort(), "myriad_rooms");
    Participant participant(context);
    Connect(context, participant, server.HttpPort());
    REQUIRE(Join(context, participant, "stopped-open", "Stays").value("type", "") == "joined");
    CHECK(MetricValue(server.HttpPort(), "myriad_rooms") == roomsBefore + 1);
  }  // stopped with the participant still in its room
  // The registry is process-wide: the next server's scrape shows what is left.
  InProcessServer next;
  CHECK(MetricValue(next.HttpPort(), "myriad_rooms") == roomsBefore);
}

}  // namespace myriad::integration
