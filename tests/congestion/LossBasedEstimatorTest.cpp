#include <catch2/catch.hpp>
#include <cmath>

#include "congestion/LossBasedEstimator.h"
#include "tests/congestion/CongestionTestPrinters.h"

namespace myriad::congestion {
namespace {

constexpr DataRate Kbps(int64_t kbps) { return DataRate::FromKbps(kbps); }
constexpr TimeDelta kRtt = TimeDelta::FromMs(100);

struct Fixture {
  LossBasedEstimator loss{Kbps(30), Kbps(20'000)};
  Timestamp now = Timestamp::FromMs(1000);

  // The first feedback starts the first window.
  Fixture() { loss.OnFeedback(0, 0, 0, Kbps(1000), kRtt, now); }

  // One loss window: feedbacks of 100 packets 50 ms apart, `lostPerMille` of them lost, until
  // the window closes (500 ms: 10 feedbacks).
  bool Window(int lostPerMille, DataRate target) {
    const auto lost = static_cast<size_t>(lostPerMille / 10);
    for (int i = 0; i < 10; ++i) {
      now += TimeDelta::FromMs(50);
      if (loss.OnFeedback(100 - lost, lost, 0, target, kRtt, now)) return i == 9;
    }
    return false;
  }
};

}  // namespace

TEST_CASE("LossBasedEstimator is unbounded until loss calls for a bound") {
  Fixture f;
  CHECK(f.loss.Bound() == Kbps(20'000));
  for (int i = 0; i < 10; ++i) REQUIRE(f.Window(10, Kbps(1000)));  // 1% loss
  CHECK(f.loss.Bound() == Kbps(20'000));
  CHECK(f.loss.LossRatio() == Approx(0.01));
}

TEST_CASE("LossBasedEstimator: high loss cuts, low loss grows, moderate loss holds") {
  struct Case {
    const char* name;
    int lostPerMille;
    double expectedFactor;  // 0: grows by 8% a second over the 500 ms window, + 1 kbit/s
  };
  for (const Case& c : {
           Case{"20% loss: x (1 - 0.1)", 200, 0.9},
           Case{"50% loss: x (1 - 0.25)", 500, 0.75},
           Case{"10% is not more than 10%: hold", 100, 1.0},
           Case{"5%: hold", 50, 1.0},
           Case{"2% is not under 2%: hold", 20, 1.0},
           Case{"1%: grows", 10, 0},
           Case{"none: grows", 0, 0},
       }) {
    INFO(c.name);
    Fixture f;
    REQUIRE(f.Window(300, Kbps(1000)));  // 30% loss at target 1000: bound 850
    REQUIRE(f.loss.Bound() == Kbps(850));
    f.Window(0, Kbps(850));     // grows a little
    f.Window(300, Kbps(1000));  // min(bound, target) x 0.85
    const DataRate bound = f.loss.Bound();
    REQUIRE(bound < Kbps(850));
    REQUIRE(f.Window(c.lostPerMille, Kbps(5000)));
    const double expected = c.expectedFactor > 0 ? bound.BpsF() * c.expectedFactor
                                                 : bound.BpsF() * std::sqrt(1.08) + 1000;
    CHECK(f.loss.Bound().BpsF() == Approx(expected).epsilon(0.0005));
    CHECK(f.loss.LossRatio() == Approx(c.lostPerMille / 1000.0));
  }
}

TEST_CASE("LossBasedEstimator cuts from the current target when that is lower") {
  Fixture f;
  f.Window(200, Kbps(400));
  CHECK(f.loss.Bound() == Kbps(360));
}

TEST_CASE("LossBasedEstimator closes a window only with enough packets and time") {
  Fixture f;
  // Plenty of time, too few packets: 19 reported (all lost), then one more makes 20.
  for (int i = 0; i < 19; ++i) {
    f.now += TimeDelta::FromMs(100);
    CHECK_FALSE(f.loss.OnFeedback(0, 1, 0, Kbps(500), kRtt, f.now));
  }
  f.now += TimeDelta::FromMs(100);
  CHECK(f.loss.OnFeedback(1, 0, 0, Kbps(500), kRtt, f.now));
  CHECK(f.loss.LossRatio() == Approx(19.0 / 20.0));
  // Plenty of packets, too little time.
  f.now += TimeDelta::FromMs(100);
  CHECK_FALSE(f.loss.OnFeedback(500, 0, 0, Kbps(500), kRtt, f.now));
  f.now += TimeDelta::FromMs(399);
  CHECK_FALSE(f.loss.OnFeedback(500, 0, 0, Kbps(500), kRtt, f.now));
  f.now += TimeDelta::FromMs(1);
  CHECK(f.loss.OnFeedback(500, 0, 0, Kbps(500), kRtt, f.now));
}

TEST_CASE("LossBasedEstimator cuts once per 300 ms + RTT") {
  Fixture f;
  // 20% loss in windows 500 ms apart with an RTT of 400 ms: every other window cuts.
  const TimeDelta rtt = TimeDelta::FromMs(400);
  DataRate expected = Kbps(1000);
  for (int window = 0; window < 4; ++window) {
    f.now += TimeDelta::FromMs(500);
    REQUIRE(f.loss.OnFeedback(80, 20, 0, Kbps(1000), rtt, f.now));
    if (window % 2 == 0) expected = expected * 0.9;
    CHECK(f.loss.Bound() == expected);
  }
}

TEST_CASE("LossBasedEstimator: packets received after a loss report are not lost") {
  Fixture f;
  f.now += TimeDelta::FromMs(100);
  f.loss.OnFeedback(70, 30, 0, Kbps(1000), kRtt, f.now);  // 30% lost...
  f.now += TimeDelta::FromMs(500);
  REQUIRE(f.loss.OnFeedback(0, 0, 25, Kbps(1000), kRtt, f.now));  // ...but 25 came late
  CHECK(f.loss.LossRatio() == Approx(0.05));
  CHECK(f.loss.Bound() == Kbps(20'000));
}

TEST_CASE("LossBasedEstimator follows a probe only while loss is low") {
  Fixture f;
  f.Window(300, Kbps(1000));
  REQUIRE(f.loss.Bound() == Kbps(850));
  f.loss.OnProbeResult(Kbps(2000));  // the last window lost 30%: a probe does not lift it
  CHECK(f.loss.Bound() == Kbps(850));
  f.Window(0, Kbps(850));
  const DataRate grown = f.loss.Bound();
  f.loss.OnProbeResult(Kbps(2000));
  CHECK(f.loss.Bound() == Kbps(2000));
  f.loss.OnProbeResult(Kbps(100));  // never lowers
  CHECK(f.loss.Bound() == Kbps(2000));
  CHECK(grown < Kbps(2000));
}

TEST_CASE("LossBasedEstimator stays within min and max") {
  Fixture f;
  for (int i = 0; i < 50; ++i) f.Window(900, Kbps(1000));
  CHECK(f.loss.Bound() == Kbps(30));
  for (int i = 0; i < 200; ++i) f.Window(0, Kbps(1000));
  CHECK(f.loss.Bound() == Kbps(20'000));
}

}  // namespace myriad::congestion
