#include <catch2/catch.hpp>
#include <optional>
#include <vector>

#include "congestion/InterArrivalDelta.h"
#include "tests/congestion/CongestionTestPrinters.h"

namespace myriad::congestion {
namespace {

Timestamp Ms(double ms) { return Timestamp::FromUs(static_cast<int64_t>(ms * 1000)); }

struct Packet {
  double sendMs;
  double arrivalMs;  // on another clock: offset by a large constant below
  size_t bytes = 1000;
};

std::vector<InterArrivalDelta::Deltas> Feed(InterArrivalDelta& deltas,
                                            const std::vector<Packet>& packets) {
  std::vector<InterArrivalDelta::Deltas> out;
  for (const Packet& p : packets) {
    const std::optional<InterArrivalDelta::Deltas> d =
        deltas.OnPacket(Ms(p.sendMs), Ms(p.arrivalMs + 5'000'000), p.bytes);
    if (d) out.push_back(*d);
  }
  return out;
}

}  // namespace

TEST_CASE("InterArrivalDelta: spaced packets are groups of one, deltas once two are complete") {
  InterArrivalDelta deltas;
  // Sent every 20 ms; the queue grows by 2 ms per packet.
  std::vector<Packet> packets;
  packets.reserve(5);
  for (int i = 0; i < 5; ++i) packets.push_back({20.0 * i, 50 + 22.0 * i});
  const auto out = Feed(deltas, packets);
  // Packet 3 completes group 2, so deltas start there: groups 1-2, 2-3, 3-4.
  REQUIRE(out.size() == 3);
  for (const auto& d : out) {
    CHECK(d.sendDelta == TimeDelta::FromMs(20));
    CHECK(d.arrivalDelta == TimeDelta::FromMs(22));
    CHECK(d.sizeDelta == 0);
  }
  CHECK(out.back().arrivalTime == Ms(50 + 22.0 * 3 + 5'000'000));
}

TEST_CASE("InterArrivalDelta groups packets sent within 5 ms") {
  InterArrivalDelta deltas;
  // Bursts of three packets 1 ms apart every 30 ms (a paced frame), the last one larger.
  std::vector<Packet> packets;
  for (int frame = 0; frame < 4; ++frame) {
    for (int k = 0; k < 3; ++k) {
      const double send = 30.0 * frame + k;
      packets.push_back({send, send + 40 + 3.0 * k + frame, frame == 2 ? 1500u : 1000u});
    }
  }
  packets.push_back({120, 160 + 4});  // starts a fifth group, completing the fourth
  const auto out = Feed(deltas, packets);
  REQUIRE(out.size() == 3);  // groups 0-1, 1-2, 2-3
  for (const auto& d : out) {
    CHECK(d.sendDelta == TimeDelta::FromMs(30));  // last send to last send
    CHECK(d.arrivalDelta == TimeDelta::FromMs(31));
  }
  CHECK(out[0].sizeDelta == 0);
  CHECK(out[1].sizeDelta == 1500);  // group 2 carried 3 x 500 more
  CHECK(out[2].sizeDelta == -1500);
}

TEST_CASE("InterArrivalDelta: a packet that caught up with its group on the way joins it") {
  InterArrivalDelta deltas;
  // Packets 8 ms apart, but every second one arrives 1 ms after its predecessor (it waited
  // behind it somewhere): those pairs are one group.
  std::vector<Packet> packets;
  for (int i = 0; i < 4; ++i) {
    packets.push_back({16.0 * i, 100 + 16.0 * i});
    packets.push_back({16.0 * i + 8, 100 + 16.0 * i + 1});
  }
  packets.push_back({64, 164});
  const auto out = Feed(deltas, packets);
  REQUIRE(out.size() == 3);
  for (const auto& d : out) {
    CHECK(d.sendDelta == TimeDelta::FromMs(16));
    CHECK(d.arrivalDelta == TimeDelta::FromMs(16));
  }
}

TEST_CASE("InterArrivalDelta ignores packets sent before the current group") {
  InterArrivalDelta deltas;
  const auto out = Feed(deltas, {
                                    {0, 50},
                                    {20, 70},
                                    {40, 90},
                                    {10, 91},  // reordered: sent before group 40 began
                                    {60, 110},
                                    {80, 130},
                                });
  REQUIRE(out.size() == 3);
  for (const auto& d : out) {
    CHECK(d.sendDelta == TimeDelta::FromMs(20));
    CHECK(d.arrivalDelta == TimeDelta::FromMs(20));
  }
}

TEST_CASE("InterArrivalDelta starts over after an arrival clock jump") {
  InterArrivalDelta deltas;
  // The subscriber's clock jumps 10 s between the groups sent at 40 and 60 ms: that pair gives
  // no delta, and the grouping needs two complete groups again (80 and 100) before the next.
  const auto out =
      Feed(deltas,
           {{0, 50}, {20, 70}, {40, 90}, {60, 10'110}, {80, 10'130}, {100, 10'150}, {120, 10'170}});
  REQUIRE(out.size() == 3);  // 0-20, 20-40, 80-100
  for (const auto& d : out) {
    CHECK(d.sendDelta == TimeDelta::FromMs(20));
    CHECK(d.arrivalDelta == TimeDelta::FromMs(20));
  }
  CHECK(out.back().arrivalTime == Ms(10'150 + 5'000'000));
}

TEST_CASE("InterArrivalDelta drops a group that arrived before its predecessor") {
  InterArrivalDelta deltas;
  const auto out = Feed(deltas, {
                                    {0, 50},
                                    {20, 70},
                                    {40, 90},
                                    {41, 300},  // same group (sent 1 ms later), arrived late
                                    {60, 200},  // next group, arrived before that one
                                    {80, 320},
                                    {100, 340},
                                    {120, 360},
                                });
  // Pairs: 0-20, 20-40 (last arrival 300), 40-60 (arrival delta -100: dropped), 60-80, 80-100.
  REQUIRE(out.size() == 4);
  for (const auto& d : out) CHECK(d.arrivalDelta >= TimeDelta::Zero());
  CHECK(out[1].arrivalDelta == TimeDelta::FromMs(230));
  CHECK(out[2].arrivalDelta == TimeDelta::FromMs(120));
}

}  // namespace myriad::congestion
