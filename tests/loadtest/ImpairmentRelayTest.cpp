// ImpairmentRelay: real sockets on 127.0.0.1 (port 0), an echo "server" and
// client sockets on one io_context, run until what a check waits for has
// happened (bounded), times from the steady clock.

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "loadtest/client/ImpairmentRelay.h"
#include "loadtest/client/RunUntil.h"

namespace myriad::loadtest {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using Clock = ImpairmentRelay::Clock;
using Endpoint = ImpairmentRelay::Endpoint;

const Endpoint kAnyLoopbackPort(asio::ip::address_v4::loopback(), 0);
constexpr auto kWait = 5000ms;

struct Datagram {
  std::vector<uint8_t> bytes;
  Endpoint peer;
  Clock::time_point at;
};

// A UDP socket that records what it receives and, as the server, echoes it.
class TestSocket {
 public:
  TestSocket(asio::io_context& context, bool echo)
      : socket_(context, kAnyLoopbackPort), echo_(echo) {
    Receive();
  }

  Endpoint Local() const { return socket_.local_endpoint(); }
  void Send(const Endpoint& to, std::vector<uint8_t> bytes) {
    sentAt.push_back(Clock::now());
    socket_.send_to(asio::buffer(bytes), to);
  }
  // `count` bytes, the first naming the datagram.
  void Send(const Endpoint& to, uint8_t number, size_t count) {
    std::vector<uint8_t> bytes(count, 0xAB);
    bytes[0] = number;
    Send(to, std::move(bytes));
  }
  std::set<Endpoint> Sources() const {
    std::set<Endpoint> sources;
    for (const auto& datagram : received) sources.insert(datagram.peer);
    return sources;
  }

  std::vector<Datagram> received;
  std::vector<Clock::time_point> sentAt;

 private:
  void Receive() {
    socket_.async_receive_from(
        asio::buffer(buffer_), from_, [this](const boost::system::error_code& ec, size_t length) {
          if (ec) return;
          received.push_back(
              Datagram{{buffer_.begin(), buffer_.begin() + length}, from_, Clock::now()});
          if (echo_) socket_.send_to(asio::buffer(buffer_.data(), length), from_);
          Receive();
        });
  }

  asio::ip::udp::socket socket_;
  bool echo_;
  std::array<uint8_t, 2048> buffer_{};
  Endpoint from_;
};

ImpairmentRelay::Options RelayTo(const Endpoint& target) {
  ImpairmentRelay::Options options;
  options.target = target;
  return options;
}

}  // namespace

TEST_CASE("ImpairmentRelay carries datagrams both ways, each direction delayed by its own delay",
          "[loadtest][impairment][relay]") {
  asio::io_context context;
  TestSocket server(context, /*echo=*/true);
  TestSocket client(context, /*echo=*/false);
  auto options = RelayTo(server.Local());
  options.path.uplink.delay = 30ms;
  options.path.downlink.delay = 20ms;
  ImpairmentRelay relay(context, options);
  std::string error;
  REQUIRE(relay.Open(&error));
  CHECK(relay.FrontEndpoint().address() == asio::ip::address_v4::loopback());
  CHECK(relay.FrontEndpoint().port() != 0);

  constexpr int kCount = 5;
  for (int i = 0; i < kCount; ++i) client.Send(relay.FrontEndpoint(), static_cast<uint8_t>(i), 100);
  REQUIRE(RunUntil(
      context, [&] { return client.received.size() == kCount; }, kWait));

  REQUIRE(server.received.size() == kCount);
  for (int i = 0; i < kCount; ++i) {
    INFO("datagram " << i);
    // In order, whole, and no sooner than each direction's delay.
    CHECK(server.received[i].bytes[0] == i);
    CHECK(client.received[i].bytes[0] == i);
    CHECK(client.received[i].bytes.size() == 100);
    CHECK(server.received[i].at - client.sentAt[i] >= 30ms);
    CHECK(client.received[i].at - server.received[i].at >= 20ms);
    CHECK(client.received[i].at - client.sentAt[i] >= 50ms);
    CHECK(client.received[i].at - client.sentAt[i] < 50ms + 1s);
    // The reply comes from the relay's front, the address the client used.
    CHECK(client.received[i].peer == relay.FrontEndpoint());
  }
  // The server sees the mapping's back socket, not the client.
  const auto back = relay.BackEndpointOf(client.Local());
  REQUIRE(back);
  CHECK(server.Sources() == std::set<Endpoint>{*back});
  CHECK(*back != client.Local());
  CHECK(back->address().is_loopback());

  const auto counters = relay.GetCounters();
  CHECK(counters.mappings == 1);
  CHECK(counters.uplink.received == kCount);
  CHECK(counters.uplink.forwarded == kCount);
  CHECK(counters.uplink.forwardedBytes == kCount * 100);
  CHECK(counters.downlink.forwarded == kCount);
  CHECK(counters.uplink.Dropped() == 0);
  CHECK(counters.downlink.Dropped() == 0);
}

TEST_CASE("ImpairmentRelay with loss 1.0 drops everything and counts it, until told otherwise",
          "[loadtest][impairment][relay]") {
  asio::io_context context;
  TestSocket server(context, /*echo=*/true);
  TestSocket client(context, /*echo=*/false);
  auto options = RelayTo(server.Local());
  options.path.uplink.loss = GilbertElliottLoss::Independent(1.0);
  ImpairmentRelay relay(context, options);
  std::string error;
  REQUIRE(relay.Open(&error));

  constexpr int kLost = 20;
  for (int i = 0; i < kLost; ++i) client.Send(relay.FrontEndpoint(), static_cast<uint8_t>(i), 200);
  REQUIRE(RunUntil(
      context, [&] { return relay.GetCounters().uplink.droppedRandomLoss == kLost; }, kWait));

  // Loss off at runtime: a probe passes, and since nothing overtakes on the
  // way, it is the first thing the server ever got.
  ImpairmentRelay::PathOptions clear;
  relay.SetPathOptions(clear, Clock::now());
  client.Send(relay.FrontEndpoint(), 99, 200);
  REQUIRE(RunUntil(
      context, [&] { return client.received.size() == 1; }, kWait));
  REQUIRE(server.received.size() == 1);
  CHECK(server.received[0].bytes[0] == 99);

  const auto counters = relay.GetCounters();
  CHECK(counters.uplink.received == kLost + 1);
  CHECK(counters.uplink.droppedRandomLoss == kLost);
  CHECK(counters.uplink.Dropped() == kLost);
  CHECK(counters.uplink.forwarded == 1);
  CHECK(counters.downlink.forwarded == 1);
}

TEST_CASE("ImpairmentRelay gives each client source its own address at the server",
          "[loadtest][impairment][relay]") {
  asio::io_context context;
  TestSocket server(context, /*echo=*/true);
  TestSocket first(context, /*echo=*/false);
  TestSocket second(context, /*echo=*/false);
  ImpairmentRelay relay(context, RelayTo(server.Local()));
  std::string error;
  REQUIRE(relay.Open(&error));

  first.Send(relay.FrontEndpoint(), 1, 50);
  second.Send(relay.FrontEndpoint(), 2, 50);
  first.Send(relay.FrontEndpoint(), 1, 50);
  REQUIRE(RunUntil(
      context, [&] { return first.received.size() == 2 && second.received.size() == 1; }, kWait));

  const auto firstBack = relay.BackEndpointOf(first.Local());
  const auto secondBack = relay.BackEndpointOf(second.Local());
  REQUIRE(firstBack);
  REQUIRE(secondBack);
  CHECK(*firstBack != *secondBack);
  CHECK(server.Sources() == std::set<Endpoint>{*firstBack, *secondBack});
  // Replies go back to the client that sent.
  for (const auto& datagram : first.received) CHECK(datagram.bytes[0] == 1);
  CHECK(second.received[0].bytes[0] == 2);
  CHECK(relay.Mappings() == 2);

  // One client's path alone: the second loses everything, the first nothing.
  ImpairmentRelay::PathOptions lossy;
  lossy.downlink.loss = GilbertElliottLoss::Independent(1.0);
  REQUIRE(relay.SetClientPathOptions(second.Local(), lossy, Clock::now()));
  CHECK(!relay.SetClientPathOptions(server.Local(), lossy, Clock::now()));
  second.Send(relay.FrontEndpoint(), 2, 50);
  first.Send(relay.FrontEndpoint(), 1, 50);
  REQUIRE(RunUntil(
      context,
      [&] {
        const auto counters = relay.ClientCounters(second.Local());
        return first.received.size() == 3 && counters && counters->downlink.droppedRandomLoss == 1;
      },
      kWait));
  CHECK(second.received.size() == 1);
  CHECK(relay.ClientCounters(first.Local())->downlink.Dropped() == 0);
  CHECK(relay.GetCounters().downlink.forwarded == 4);
}

TEST_CASE("ImpairmentRelay spaces datagrams at its rate cap", "[loadtest][impairment][relay]") {
  asio::io_context context;
  TestSocket server(context, /*echo=*/false);
  TestSocket client(context, /*echo=*/false);
  auto options = RelayTo(server.Local());
  options.path.uplink.rateBitsPerSecond = 800'000;  // 1000 bytes every 10 ms
  ImpairmentRelay relay(context, options);
  std::string error;
  REQUIRE(relay.Open(&error));

  constexpr int kCount = 10;
  for (int i = 0; i < kCount; ++i)
    client.Send(relay.FrontEndpoint(), static_cast<uint8_t>(i), 1000);
  REQUIRE(RunUntil(
      context, [&] { return server.received.size() == kCount; }, kWait));
  for (int i = 0; i < kCount; ++i) {
    INFO("datagram " << i);
    CHECK(server.received[i].bytes[0] == i);
    // The i-th leaves the bottleneck (i + 1) * 10 ms after the burst arrived.
    CHECK(server.received[i].at - client.sentAt.front() >= (i + 1) * 10ms);
  }
}

TEST_CASE("ImpairmentRelay refuses clients beyond its mapping cap",
          "[loadtest][impairment][relay]") {
  asio::io_context context;
  TestSocket server(context, /*echo=*/true);
  TestSocket first(context, /*echo=*/false);
  TestSocket second(context, /*echo=*/false);
  auto options = RelayTo(server.Local());
  options.maxMappings = 1;
  ImpairmentRelay relay(context, options);
  std::string error;
  REQUIRE(relay.Open(&error));

  first.Send(relay.FrontEndpoint(), 1, 50);
  REQUIRE(RunUntil(
      context, [&] { return first.received.size() == 1; }, kWait));
  second.Send(relay.FrontEndpoint(), 2, 50);
  second.Send(relay.FrontEndpoint(), 2, 50);
  REQUIRE(RunUntil(
      context, [&] { return relay.GetCounters().mappingsRefused == 2; }, kWait));
  CHECK(!relay.BackEndpointOf(second.Local()));
  // The mapped client carries on.
  first.Send(relay.FrontEndpoint(), 1, 50);
  REQUIRE(RunUntil(
      context, [&] { return first.received.size() == 2; }, kWait));
  CHECK(server.received.size() == 2);
  CHECK(second.received.empty());
  CHECK(relay.Mappings() == 1);
}

TEST_CASE("ImpairmentRelay::Close sends what the uplink holds, and what is waiting to enter it",
          "[loadtest][impairment][relay]") {
  asio::io_context context;
  TestSocket server(context, /*echo=*/false);
  TestSocket client(context, /*echo=*/false);
  auto options = RelayTo(server.Local());
  options.path.uplink.delay = 60s;
  ImpairmentRelay relay(context, options);
  std::string error;
  REQUIRE(relay.Open(&error));
  client.Send(relay.FrontEndpoint(), 7, 30);
  REQUIRE(RunUntil(
      context, [&] { return relay.GetCounters().uplink.received == 1; }, kWait));
  CHECK(server.received.empty());
  // Sent, but not read by the relay yet: on the uplink all the same.
  client.Send(relay.FrontEndpoint(), 8, 30);
  relay.Close();
  CHECK(!relay.IsOpen());
  REQUIRE(RunUntil(
      context, [&] { return server.received.size() == 2; }, kWait));
  CHECK(server.received[0].bytes[0] == 7);
  CHECK(server.received[1].bytes[0] == 8);
  CHECK(relay.GetCounters().uplink.forwarded == 2);
}

TEST_CASE("ImpairmentRelay relays between loopback addresses only",
          "[loadtest][impairment][relay]") {
  asio::io_context context;
  struct Case {
    Endpoint target;
    Endpoint listen;
    const char* expected;
  };
  const Endpoint loopback(asio::ip::address_v4::loopback(), 4000);
  const std::vector<Case> cases = {
      {Endpoint(asio::ip::make_address("192.0.2.1"), 4000), kAnyLoopbackPort, "loopback targets"},
      {Endpoint(asio::ip::make_address("0.0.0.0"), 4000), kAnyLoopbackPort, "loopback targets"},
      {Endpoint(asio::ip::address_v4::loopback(), 0), kAnyLoopbackPort, "loopback targets"},
      {loopback, Endpoint(asio::ip::make_address("0.0.0.0"), 0), "listens on loopback"},
  };
  for (const auto& c : cases) {
    auto options = RelayTo(c.target);
    options.listen = c.listen;
    ImpairmentRelay relay(context, options);
    std::string error;
    CHECK(!relay.Open(&error));
    CHECK_THAT(error, Catch::Contains(c.expected));
    CHECK(!relay.IsOpen());
  }
}

}  // namespace myriad::loadtest
