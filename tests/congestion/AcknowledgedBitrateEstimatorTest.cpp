#include <catch2/catch.hpp>

#include "congestion/AcknowledgedBitrateEstimator.h"
#include "tests/congestion/AllocationCounter.h"
#include "tests/congestion/CongestionTestPrinters.h"

namespace myriad::congestion {
namespace {

// Acknowledges `count` packets of `bytes`, one every `spacing`, from `arrival` on.
void Feed(AcknowledgedBitrateEstimator& estimator, Timestamp& arrival, int count, size_t bytes,
          TimeDelta spacing) {
  for (int i = 0; i < count; ++i) {
    estimator.OnPacketAcknowledged(arrival, bytes);
    arrival += spacing;
  }
}

}  // namespace

TEST_CASE("AcknowledgedBitrateEstimator measures a steady stream exactly") {
  struct Case {
    size_t bytes;
    TimeDelta spacing;
    int64_t expectedBps;
  };
  for (const Case& c : {
           Case{1200, TimeDelta::FromMs(10), 960'000},
           Case{1200, TimeDelta::FromUs(480), 20'000'000},  // 1000 packets in the window
           Case{200, TimeDelta::FromMs(40), 40'000},        // sparse: 12 per window
       }) {
    INFO(c.expectedBps);
    AcknowledgedBitrateEstimator estimator;
    Timestamp arrival = Timestamp::FromMs(5000);
    Feed(estimator, arrival, 2000, c.bytes, c.spacing);
    REQUIRE(estimator.Rate());
    CHECK(estimator.Rate()->BpsF() == Approx(static_cast<double>(c.expectedBps)).epsilon(0.001));
  }
}

TEST_CASE("AcknowledgedBitrateEstimator needs 150 ms of arrivals") {
  AcknowledgedBitrateEstimator estimator;
  Timestamp arrival = Timestamp::FromMs(0);
  Feed(estimator, arrival, 15, 1200, TimeDelta::FromMs(10));  // spans 140 ms
  CHECK_FALSE(estimator.Rate());
  Feed(estimator, arrival, 1, 1200, TimeDelta::FromMs(10));
  REQUIRE(estimator.Rate());
  CHECK(*estimator.Rate() == DataRate::FromKbps(960));
}

TEST_CASE("AcknowledgedBitrateEstimator follows a rate change within its window") {
  AcknowledgedBitrateEstimator estimator;
  Timestamp arrival = Timestamp::FromMs(0);
  Feed(estimator, arrival, 100, 1200, TimeDelta::FromMs(10));
  CHECK(*estimator.Rate() == DataRate::FromKbps(960));
  Feed(estimator, arrival, 10, 1200, TimeDelta::FromMs(20));  // 200 ms at half the rate
  CHECK(*estimator.Rate() < DataRate::FromKbps(900));
  CHECK(*estimator.Rate() > DataRate::FromKbps(480));
  Feed(estimator, arrival, 30, 1200, TimeDelta::FromMs(20));
  CHECK(estimator.Rate()->BpsF() == Approx(480'000).epsilon(0.001));
}

TEST_CASE("AcknowledgedBitrateEstimator keeps its last rate when the window gets too sparse") {
  AcknowledgedBitrateEstimator estimator;
  Timestamp arrival = Timestamp::FromMs(0);
  Feed(estimator, arrival, 50, 1200, TimeDelta::FromMs(10));
  const DataRate before = *estimator.Rate();
  arrival += TimeDelta::FromSeconds(3);  // a pause, then two packets close together
  Feed(estimator, arrival, 2, 1200, TimeDelta::FromMs(10));
  CHECK(*estimator.Rate() == before);
}

TEST_CASE("AcknowledgedBitrateEstimator takes late arrivals as arriving with the newest") {
  AcknowledgedBitrateEstimator estimator;
  Timestamp arrival = Timestamp::FromMs(1000);
  Feed(estimator, arrival, 50, 1200, TimeDelta::FromMs(10));
  estimator.OnPacketAcknowledged(Timestamp::FromMs(1000), 1200);  // reordered far back
  // 51 packets' bytes after the first over the same 490 ms: a little more, nothing odd.
  CHECK(estimator.Rate()->BpsF() == Approx(1200.0 * 8 * 50 / 0.49).epsilon(0.001));
}

TEST_CASE("AcknowledgedBitrateEstimator allocates only at construction") {
  AcknowledgedBitrateEstimator estimator;
  Timestamp arrival = Timestamp::FromMs(0);
  const uint64_t before = AllocationCount();
  Feed(estimator, arrival, 10'000, 1200, TimeDelta::FromUs(100));  // overflows the ring
  const uint64_t after = AllocationCount();
  CHECK(after == before);
  CHECK(estimator.Rate()->BpsF() == Approx(96'000'000).epsilon(0.001));
}

}  // namespace myriad::congestion
