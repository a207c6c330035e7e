// The signalling client against a real server: with an added delay, every
// message it sends and receives (and the close) waits that long, in order.

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SignalingClient.h"
#include "tests/integration/InProcessServer.h"

namespace myriad::integration {

using namespace std::chrono_literals;
using loadtest::RunUntil;
using loadtest::SignalingClient;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

TEST_CASE("SignalingClient with an added delay: replies take two delays, order and close kept",
          "[integration][client][delay]") {
  InProcessServer server;
  boost::asio::io_context context;
  constexpr auto kDelay = 30ms;

  SignalingClient::Options options;
  options.addedDelay = kDelay;
  SignalingClient delayed(context, options);
  SignalingClient plain(context);
  // A client built without options gets its delay before connecting only.
  SignalingClient late(context);
  CHECK(late.SetAddedDelay(kDelay));

  std::vector<Json> events;
  delayed.SetMessageHandler([&](const Json& message) { events.push_back(message); });
  for (SignalingClient* client : {&delayed, &plain, &late}) {
    std::optional<std::string> connected;
    client->Connect("127.0.0.1", server.HttpPort(), [&](const std::string& e) { connected = e; });
    REQUIRE(RunUntil(
        context, [&] { return connected.has_value(); }, 5s));
    REQUIRE(*connected == "");
  }
  CHECK_FALSE(late.SetAddedDelay(0ms));

  // A request's reply comes back no sooner than two delays after it left;
  // without a delay it is much quicker.
  const auto roundTrip = [&](SignalingClient& client, const std::string& name) {
    std::optional<Json> reply;
    const auto start = Clock::now();
    client.Request(Json{{"type", "join"}, {"room", "signal"}, {"name", name}}, 5s,
                   [&](std::optional<Json> r) {
                     reply = r.value_or(Json{{"type", "timeout"}});
                   });
    REQUIRE(RunUntil(
        context, [&] { return reply.has_value(); }, 5s));
    CHECK(reply->value("type", "") == "joined");
    return Clock::now() - start;
  };
  CHECK(roundTrip(delayed, "far") >= 2 * kDelay);
  CHECK(roundTrip(late, "later") >= 2 * kDelay);
  CHECK(roundTrip(plain, "near") < kDelay);

  // Messages go out and come back in the order sent (each gets an `error`
  // naming its id).
  const size_t before = events.size();
  for (int i = 0; i < 10; ++i) delayed.Send(Json{{"type", "dance"}, {"id", i}});
  REQUIRE(RunUntil(
      context,
      [&] {
        size_t errors = 0;
        for (size_t i = before; i < events.size(); ++i) {
          if (events[i].value("type", "") == "error") ++errors;
        }
        return errors == 10;
      },
      5s));
  std::vector<int> ids;
  for (size_t i = before; i < events.size(); ++i) {
    if (events[i].value("type", "") == "error") ids.push_back(events[i].value("id", -1));
  }
  CHECK(ids == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(delayed.DelayLineDrops() == 0);

  // The close travels the line too: the connection stays open until it is
  // due, and ends no sooner than one delay after Close().
  bool closed = false;
  delayed.SetCloseHandler([&] { closed = true; });
  const auto closeAt = Clock::now();
  delayed.Close();
  CHECK(delayed.IsOpen());
  REQUIRE(RunUntil(
      context, [&] { return closed; }, 5s));
  CHECK(Clock::now() - closeAt >= kDelay);
  CHECK_FALSE(delayed.IsOpen());
}

}  // namespace myriad::integration
