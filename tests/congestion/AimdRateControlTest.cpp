#include <catch2/catch.hpp>
#include <optional>

#include "congestion/AimdRateControl.h"
#include "tests/congestion/CongestionTestPrinters.h"

namespace myriad::congestion {
namespace {

constexpr DataRate Kbps(int64_t kbps) { return DataRate::FromKbps(kbps); }

struct Fixture {
  AimdRateControl aimd{Kbps(300), Kbps(30), Kbps(20'000)};
  Timestamp now = Timestamp::FromMs(1000);

  Fixture() { aimd.SetRtt(TimeDelta::FromMs(100)); }

  // `count` updates 100 ms apart; acknowledged = the rate itself when `acked` is unset.
  DataRate Run(BandwidthUsage usage, int count, std::optional<DataRate> acked = std::nullopt) {
    for (int i = 0; i < count; ++i) {
      now += TimeDelta::FromMs(100);
      aimd.Update(usage, acked.value_or(aimd.Estimate()), now);
    }
    return aimd.Estimate();
  }
};

}  // namespace

TEST_CASE("AimdRateControl increases multiplicatively, ~8% a second, far from capacity") {
  Fixture f;
  f.Run(BandwidthUsage::kNormal, 1);  // hold -> increase
  const DataRate start = f.aimd.Estimate();
  const DataRate after = f.Run(BandwidthUsage::kNormal, 10);
  CHECK(after.BpsF() == Approx(start.BpsF() * 1.08).epsilon(0.005));
  CHECK(f.aimd.CurrentState() == AimdRateControl::State::kIncrease);
  CHECK_FALSE(f.aimd.LinkCapacity());
}

TEST_CASE("AimdRateControl decreases to 0.85 x the acknowledged throughput on overuse") {
  Fixture f;
  f.aimd.SetEstimate(Kbps(600), f.now);
  f.Run(BandwidthUsage::kOverusing, 1, Kbps(500));
  CHECK(f.aimd.Estimate() == Kbps(425));
  CHECK(f.aimd.CurrentState() == AimdRateControl::State::kHold);
  REQUIRE(f.aimd.LinkCapacity());
  CHECK(*f.aimd.LinkCapacity() == Kbps(500));
}

TEST_CASE("AimdRateControl never raises the rate on overuse") {
  Fixture f;
  f.Run(BandwidthUsage::kOverusing, 1, Kbps(1000));  // 850 > 300: stays
  CHECK(f.aimd.Estimate() == Kbps(300));
  f.now += TimeDelta::FromMs(200);
  f.aimd.Update(BandwidthUsage::kOverusing, std::nullopt, f.now);  // no throughput: the rate
  CHECK(f.aimd.Estimate() == Kbps(255));
}

TEST_CASE("AimdRateControl increases additively near a known capacity") {
  Fixture f;
  f.aimd.SetEstimate(Kbps(600), f.now);
  f.Run(BandwidthUsage::kOverusing, 1, Kbps(500));
  REQUIRE(f.aimd.Estimate() == Kbps(425));
  f.Run(BandwidthUsage::kNormal, 1, Kbps(425));  // hold -> increase
  const DataRate start = f.aimd.Estimate();
  const DataRate after = f.Run(BandwidthUsage::kNormal, 10, Kbps(425));
  // One 1200-byte packet per response time (RTT 100 ms + 100 ms): 48 kbit/s per second.
  CHECK(f.aimd.AdditiveIncreasePerSecond() == Kbps(48));
  CHECK((after - start).BpsF() == Approx(48'000).epsilon(0.02));
}

TEST_CASE("AimdRateControl forgets the capacity when more gets through than it allows") {
  Fixture f;
  f.aimd.SetEstimate(Kbps(600), f.now);
  f.Run(BandwidthUsage::kOverusing, 1, Kbps(500));
  REQUIRE(f.aimd.LinkCapacity());
  f.Run(BandwidthUsage::kNormal, 2, Kbps(530));  // within 500 + 3 standard deviations
  CHECK(f.aimd.LinkCapacity());
  f.Run(BandwidthUsage::kNormal, 1, Kbps(700));
  CHECK_FALSE(f.aimd.LinkCapacity());
}

TEST_CASE("AimdRateControl holds while the queue drains") {
  Fixture f;
  f.Run(BandwidthUsage::kNormal, 5);
  const DataRate before = f.aimd.Estimate();
  CHECK(f.Run(BandwidthUsage::kUnderusing, 10) == before);
  CHECK(f.aimd.CurrentState() == AimdRateControl::State::kHold);
}

TEST_CASE("AimdRateControl spaces decreases by the RTT unless the throughput collapsed") {
  Fixture f;  // RTT 100 ms
  f.aimd.SetEstimate(Kbps(1000), f.now);
  f.now += TimeDelta::FromMs(100);
  f.aimd.Update(BandwidthUsage::kOverusing, Kbps(800), f.now);
  REQUIRE(f.aimd.Estimate() == Kbps(680));
  f.now += TimeDelta::FromMs(50);
  f.aimd.Update(BandwidthUsage::kOverusing, Kbps(600), f.now);
  CHECK(f.aimd.Estimate() == Kbps(680));  // too soon
  f.now += TimeDelta::FromMs(50);
  f.aimd.Update(BandwidthUsage::kOverusing, Kbps(600), f.now);
  CHECK(f.aimd.Estimate() == Kbps(510));
  f.now += TimeDelta::FromMs(10);
  f.aimd.Update(BandwidthUsage::kOverusing, Kbps(200), f.now);  // below half the rate
  CHECK(f.aimd.Estimate() == Kbps(170));
}

TEST_CASE("AimdRateControl caps increases at 1.5 x the throughput + 10 kbit/s") {
  Fixture f;
  f.Run(BandwidthUsage::kNormal, 20, Kbps(100));  // the sender uses a third of its rate
  CHECK(f.aimd.Estimate() == Kbps(300));  // 160 allowed: no increase, but no decrease either
  f.aimd.SetEstimate(Kbps(150), f.now);
  f.Run(BandwidthUsage::kNormal, 50, Kbps(100));
  CHECK(f.aimd.Estimate() == Kbps(160));
}

TEST_CASE("AimdRateControl stays within min and max") {
  Fixture f;
  f.aimd.SetEstimate(Kbps(50'000), f.now);
  CHECK(f.aimd.Estimate() == Kbps(20'000));
  f.aimd.SetEstimate(Kbps(35), f.now);
  f.Run(BandwidthUsage::kOverusing, 1, Kbps(10));
  CHECK(f.aimd.Estimate() == Kbps(30));
  f.aimd.SetEstimate(Kbps(19'900), f.now);
  f.Run(BandwidthUsage::kNormal, 30);
  CHECK(f.aimd.Estimate() == Kbps(20'000));
}

}  // namespace myriad::congestion
