// InProcessImpairment: the relay's path model applied inside the process.
// Time is passed in (Send/Receive/ReleaseDue with an injected clock); the
// io_context is never run, so the lines' timers never fire.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "loadtest/client/InProcessImpairment.h"
#include "loadtest/client/LinkImpairment.h"

namespace myriad::loadtest {
namespace {

using namespace std::chrono_literals;
using Clock = InProcessImpairment::Clock;
using Endpoint = InProcessImpairment::Endpoint;

const Clock::time_point kT0 = Clock::time_point{} + 1000s;
const Endpoint kServer(boost::asio::ip::make_address("127.0.0.1"), 40000);

// A client that records what its path hands back.
class RecordingPath : public InProcessImpairment::Path {
 public:
  struct Datagram {
    std::string bytes;
    Endpoint peer;
    Clock::time_point at;
  };

  void SendImpaired(std::span<const uint8_t> datagram, const Endpoint& to) override {
    sent.push_back({std::string(datagram.begin(), datagram.end()), to, {}});
  }
  void ReceiveImpaired(std::span<uint8_t> datagram, const Endpoint& from,
                       Clock::time_point now) override {
    received.push_back({std::string(datagram.begin(), datagram.end()), from, now});
    if (onReceive) onReceive();
  }
  std::vector<std::string> SentBytes() const {
    std::vector<std::string> out;
    for (const auto& d : sent) out.push_back(d.bytes);
    return out;
  }

  std::vector<Datagram> sent;
  std::vector<Datagram> received;
  std::function<void()> onReceive;
};

std::span<const uint8_t> Bytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

InProcessImpairment::Options Delays(std::chrono::microseconds up, std::chrono::microseconds down) {
  InProcessImpairment::Options options;
  options.path.uplink.delay = up;
  options.path.downlink.delay = down;
  options.lineCapacity = 64;
  return options;
}

}  // namespace

TEST_CASE("InProcessImpairment delays each direction by its own delay and hands datagrams back",
          "[loadtest][impairment]") {
  boost::asio::io_context context;
  InProcessImpairment impairment(context, Delays(30ms, 20ms));
  RecordingPath client;
  const auto id = impairment.Attach(client, 0);
  REQUIRE(id);

  CHECK(impairment.Send(*id, Bytes("up"), kServer, kT0));
  CHECK(impairment.Receive(*id, Bytes("down"), kServer, kT0 + 1ms));
  CHECK(impairment.ReleaseDue(kT0 + 20ms) == 0);
  CHECK(client.sent.empty());
  CHECK(impairment.ReleaseDue(kT0 + 21ms) == 1);
  REQUIRE(client.received.size() == 1);
  CHECK(client.received[0].bytes == "down");
  CHECK(client.received[0].peer == kServer);
  CHECK(client.received[0].at == kT0 + 21ms);
  CHECK(impairment.ReleaseDue(kT0 + 30ms) == 1);
  REQUIRE(client.sent.size() == 1);
  CHECK(client.sent[0].bytes == "up");
  CHECK(client.sent[0].peer == kServer);

  const auto counters = impairment.GetCounters();
  CHECK(counters.mappings == 1);
  CHECK(counters.uplink.received == 1);
  CHECK(counters.uplink.forwarded == 1);
  CHECK(counters.uplink.forwardedBytes == 2);
  CHECK(counters.downlink.forwarded == 1);
  CHECK(counters.downlink.Dropped() == 0);
}

TEST_CASE("InProcessImpairment without delay hands a datagram over inside the call",
          "[loadtest][impairment]") {
  boost::asio::io_context context;
  InProcessImpairment impairment(context, Delays(0us, 0us));
  RecordingPath client;
  const auto id = impairment.Attach(client, 0);
  REQUIRE(id);
  CHECK(impairment.Send(*id, Bytes("now"), kServer, kT0));
  CHECK(client.SentBytes() == std::vector<std::string>{"now"});
  CHECK(impairment.Receive(*id, Bytes("back"), kServer, kT0));
  CHECK(client.received.size() == 1);
}

TEST_CASE("InProcessImpairment drops and counts what a path's loss takes",
          "[loadtest][impairment]") {
  boost::asio::io_context context;
  auto options = Delays(0us, 0us);
  options.path.uplink.loss = GilbertElliottLoss::Independent(1.0);
  InProcessImpairment impairment(context, options);
  RecordingPath client;
  const auto id = impairment.Attach(client, 0);
  REQUIRE(id);
  for (int i = 0; i < 10; ++i) CHECK_FALSE(impairment.Send(*id, Bytes("x"), kServer, kT0));
  CHECK(impairment.Receive(*id, Bytes("y"), kServer, kT0));
  CHECK(client.sent.empty());
  const auto counters = impairment.GetCounters();
  CHECK(counters.uplink.received == 10);
  CHECK(counters.uplink.droppedRandomLoss == 10);
  CHECK(counters.uplink.forwarded == 0);
  CHECK(counters.downlink.forwarded == 1);
}

TEST_CASE("InProcessImpairment seeds a path from its stream, as the relay seeds its mapping",
          "[loadtest][impairment]") {
  auto options = Delays(0us, 0us);
  options.path.uplink.loss = GilbertElliottLoss::Independent(0.3);
  options.path.downlink.loss = GilbertElliottLoss::Independent(0.3);
  options.path.uplink.seed = 7;
  options.path.downlink.seed = 7;
  // What each datagram met on one path (true: it went through).
  const auto pattern = [&](InProcessImpairment& impairment, uint32_t id, bool uplink) {
    std::vector<bool> fate;
    fate.reserve(200);
    for (int i = 0; i < 200; ++i) {
      const auto at = kT0 + std::chrono::milliseconds(i);
      fate.push_back(uplink ? impairment.Send(id, Bytes("p"), kServer, at)
                            : impairment.Receive(id, Bytes("p"), kServer, at));
    }
    return fate;
  };

  // Attached in either order, stream 3 meets the same losses.
  boost::asio::io_context context;
  InProcessImpairment first(context, options);
  InProcessImpairment second(context, options);
  RecordingPath a;
  RecordingPath b;
  RecordingPath c;
  RecordingPath d;
  const auto a3 = first.Attach(a, 3);
  const auto a5 = first.Attach(b, 5);
  const auto b5 = second.Attach(c, 5);
  const auto b3 = second.Attach(d, 3);
  REQUIRE((a3 && a5 && b5 && b3));
  const auto up3 = pattern(first, *a3, true);
  CHECK(up3 == pattern(second, *b3, true));
  CHECK(pattern(first, *a5, false) == pattern(second, *b5, false));

  // The formula: uplink 2 * stream, downlink 2 * stream + 1.
  LinkImpairment reference(LinkImpairment::ForStream(options.path.uplink, 6));
  std::vector<bool> expected;
  expected.reserve(200);
  for (int i = 0; i < 200; ++i) {
    expected.push_back(
        reference.Admit(1 + options.packetOverheadBytes, kT0 + std::chrono::milliseconds(i))
            .has_value());
  }
  CHECK(up3 == expected);
  // Different streams and directions do not share a pattern.
  CHECK(up3 != pattern(first, *a3, false));
  CHECK(up3 != pattern(second, *b5, true));
}

TEST_CASE("InProcessImpairment::Detach flushes the path's uplink and drops its downlink",
          "[loadtest][impairment]") {
  boost::asio::io_context context;
  InProcessImpairment impairment(context, Delays(30ms, 30ms));
  RecordingPath leaving;
  RecordingPath staying;
  const auto gone = impairment.Attach(leaving, 0);
  const auto kept = impairment.Attach(staying, 1);
  REQUIRE((gone && kept));
  impairment.Send(*gone, Bytes("last words"), kServer, kT0);
  impairment.Send(*kept, Bytes("other"), kServer, kT0);
  impairment.Send(*gone, Bytes("close_notify"), kServer, kT0 + 1ms);
  impairment.Receive(*gone, Bytes("too late"), kServer, kT0);
  impairment.Receive(*kept, Bytes("for staying"), kServer, kT0);

  impairment.Detach(*gone, /*flushUplink=*/true, kT0 + 2ms);
  CHECK(leaving.SentBytes() == std::vector<std::string>{"last words", "close_notify"});
  CHECK(staying.sent.empty());
  // Nothing more reaches the detached path, and it takes nothing more.
  CHECK_FALSE(impairment.Send(*gone, Bytes("after"), kServer, kT0 + 3ms));
  CHECK_FALSE(impairment.Receive(*gone, Bytes("after"), kServer, kT0 + 3ms));
  impairment.ReleaseDue(kT0 + 1s);
  CHECK(leaving.received.empty());
  CHECK(leaving.sent.size() == 2);
  CHECK(staying.SentBytes() == std::vector<std::string>{"other"});
  CHECK(staying.received.size() == 1);
  // Its counters stay in the totals.
  CHECK(impairment.GetCounters().uplink.forwarded == 3);
  CHECK(impairment.GetCounters().mappings == 2);

  // Without a flush the uplink is dropped too.
  RecordingPath quiet;
  const auto dropped = impairment.Attach(quiet, 2);
  REQUIRE(dropped);
  impairment.Send(*dropped, Bytes("unsent"), kServer, kT0 + 2s);
  impairment.Detach(*dropped, /*flushUplink=*/false, kT0 + 2s);
  impairment.ReleaseDue(kT0 + 3s);
  CHECK(quiet.sent.empty());
}

TEST_CASE("InProcessImpairment lets a client detach from inside its receive",
          "[loadtest][impairment]") {
  boost::asio::io_context context;
  InProcessImpairment impairment(context, Delays(10ms, 10ms));
  RecordingPath client;
  const auto id = impairment.Attach(client, 0);
  REQUIRE(id);
  client.onReceive = [&] { impairment.Detach(*id, /*flushUplink=*/true, kT0 + 10ms); };
  impairment.Send(*id, Bytes("pending"), kServer, kT0 + 5ms);
  impairment.Receive(*id, Bytes("first"), kServer, kT0);
  impairment.Receive(*id, Bytes("second"), kServer, kT0);
  impairment.ReleaseDue(kT0 + 10ms);
  // The first arrival closed the client: the second is not handed over,
  // what it had sent left with the flush.
  CHECK(client.received.size() == 1);
  CHECK(client.SentBytes() == std::vector<std::string>{"pending"});
}

TEST_CASE("InProcessImpairment is bounded: paths and line capacity", "[loadtest][impairment]") {
  boost::asio::io_context context;
  auto options = Delays(50ms, 50ms);
  options.maxPaths = 2;
  options.lineCapacity = 3;
  InProcessImpairment impairment(context, options);
  RecordingPath a;
  RecordingPath b;
  RecordingPath c;
  const auto first = impairment.Attach(a, 0);
  REQUIRE(first);
  REQUIRE(impairment.Attach(b, 1));
  CHECK_FALSE(impairment.Attach(c, 2));
  for (int i = 0; i < 3; ++i) CHECK(impairment.Send(*first, Bytes("q"), kServer, kT0));
  CHECK_FALSE(impairment.Send(*first, Bytes("full"), kServer, kT0));
  CHECK(impairment.GetCounters().uplink.droppedLineFull == 1);
  CHECK(impairment.GetCounters().uplink.Dropped() == 1);
}

}  // namespace myriad::loadtest
