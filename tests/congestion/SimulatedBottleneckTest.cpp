#include <catch2/catch.hpp>
#include <optional>

#include "tests/congestion/CongestionTestPrinters.h"
#include "tests/congestion/SimulatedBottleneck.h"

namespace myriad::congestion {

TEST_CASE("SimulatedBottleneck queues at its capacity and drops when the queue is full") {
  SimulatedBottleneck::Options options;
  options.capacity = DataRate::FromKbps(1000);
  options.queueBytes = 5000;
  options.oneWayDelay = TimeDelta::FromMs(50);
  SimulatedBottleneck link(options);
  const Timestamp t0 = Timestamp::FromMs(1000);
  // 1250 bytes take 10 ms at 1 Mbit/s; a burst of four fills the 5000-byte queue.
  for (int i = 1; i <= 4; ++i) {
    const std::optional<Timestamp> arrival = link.Send(1250, t0);
    REQUIRE(arrival);
    CHECK(*arrival == t0 + TimeDelta::FromMs(10 * i + 50));
  }
  CHECK_FALSE(link.Send(1250, t0));
  CHECK(link.QueueDrops() == 1);
  CHECK(link.QueuedBytes(t0 + TimeDelta::FromMs(20)) == 2500);
  // Drained by then: only the delay.
  CHECK(link.Send(1250, t0 + TimeDelta::FromMs(100)) == t0 + TimeDelta::FromMs(160));
}

TEST_CASE("SimulatedBottleneck applies a capacity change to later packets") {
  SimulatedBottleneck::Options options;
  options.capacity = DataRate::FromKbps(1000);
  options.oneWayDelay = TimeDelta::Zero();
  SimulatedBottleneck link(options);
  const Timestamp t0 = Timestamp::FromMs(0);
  CHECK(link.Send(1250, t0) == t0 + TimeDelta::FromMs(10));
  link.SetCapacity(DataRate::FromKbps(500), t0 + TimeDelta::FromMs(5));
  // 625 bytes still queued, then 1250 more, at 500 kbit/s: 30 ms.
  CHECK(link.Send(1250, t0 + TimeDelta::FromMs(5)) == t0 + TimeDelta::FromMs(35));
}

TEST_CASE("SimulatedBottleneck: random loss at the configured rate, no queue when uncapped") {
  SimulatedBottleneck::Options options;
  options.capacity = DataRate::PlusInfinity();
  options.randomLoss = 0.1;
  options.oneWayDelay = TimeDelta::FromMs(30);
  options.seed = 42;
  SimulatedBottleneck link(options);
  int delivered = 0;
  for (int64_t i = 0; i < 10'000; ++i) {
    const Timestamp now = Timestamp::FromUs(i * 10);
    if (const std::optional<Timestamp> arrival = link.Send(1200, now)) {
      CHECK(*arrival == now + TimeDelta::FromMs(30));
      ++delivered;
    }
  }
  CHECK(link.RandomDrops() == static_cast<uint64_t>(10'000 - delivered));
  CHECK(delivered == Approx(9000).margin(150));
  CHECK(link.QueueDrops() == 0);
}

}  // namespace myriad::congestion
