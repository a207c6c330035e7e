#include <catch2/catch.hpp>

#include "congestion/OveruseDetector.h"

namespace myriad::congestion {
namespace {

constexpr TimeDelta kSpacing = TimeDelta::FromMs(5);

// Feeds the same trend `count` times, 5 ms apart; returns the last state.
BandwidthUsage Feed(OveruseDetector& detector, double trend, int count, Timestamp& now) {
  BandwidthUsage state = detector.State();
  for (int i = 0; i < count; ++i) {
    now += kSpacing;
    state = detector.Detect(trend, kSpacing, 60, now);
  }
  return state;
}

}  // namespace

TEST_CASE("OveruseDetector classifies trends against its threshold") {
  struct Case {
    const char* name;
    double trend;
    int samples;
    BandwidthUsage expected;
  };
  // Initial threshold 12.5. Overuse needs > 10 ms over it across more than one sample.
  for (const Case& c : {
           Case{"steady", 0, 10, BandwidthUsage::kNormal},
           Case{"under the threshold", 12, 10, BandwidthUsage::kNormal},
           Case{"one sample over: noise", 20, 1, BandwidthUsage::kNormal},
           Case{"two samples over, 7.5 ms: not long enough", 20, 2, BandwidthUsage::kNormal},
           Case{"three samples over, 12.5 ms", 20, 3, BandwidthUsage::kOverusing},
           Case{"far under: draining", -20, 1, BandwidthUsage::kUnderusing},
           Case{"just inside the band", -12, 5, BandwidthUsage::kNormal},
       }) {
    INFO(c.name);
    OveruseDetector detector;
    Timestamp now = Timestamp::FromMs(0);
    CHECK(Feed(detector, c.trend, c.samples, now) == c.expected);
  }
}

TEST_CASE("OveruseDetector needs two deltas before it says anything") {
  OveruseDetector detector;
  for (int64_t i = 0; i < 5; ++i) {
    CHECK(detector.Detect(100, kSpacing, 1, Timestamp::FromMs(5 * i)) == BandwidthUsage::kNormal);
  }
}

TEST_CASE("OveruseDetector: a falling trend above the threshold is not a new overuse") {
  OveruseDetector detector;
  Timestamp now = Timestamp::FromMs(0);
  double trend = 25;
  for (int i = 0; i < 6; ++i) {
    now += kSpacing;
    CHECK(detector.Detect(trend, kSpacing, 60, now) == BandwidthUsage::kNormal);
    trend -= 1;  // the queue still grows, but slower each time: it is being handled
  }
}

TEST_CASE("OveruseDetector holds overusing until the trend falls under the threshold") {
  OveruseDetector detector;
  Timestamp now = Timestamp::FromMs(0);
  REQUIRE(Feed(detector, 20, 3, now) == BandwidthUsage::kOverusing);
  CHECK(Feed(detector, 20, 1, now) == BandwidthUsage::kOverusing);
  CHECK(Feed(detector, 19, 1, now) == BandwidthUsage::kOverusing);  // still above
  CHECK(Feed(detector, 0, 1, now) == BandwidthUsage::kNormal);
}

TEST_CASE("OveruseDetector adapts its threshold") {
  SECTION("down, quickly, towards smaller trends") {
    OveruseDetector detector;
    Timestamp now = Timestamp::FromMs(0);
    Feed(detector, 8, 20, now);
    CHECK(detector.ThresholdMs() < 12.5);
    CHECK(detector.ThresholdMs() > 8);
    Feed(detector, 0, 400, now);
    CHECK(detector.ThresholdMs() == OveruseDetector::kMinThresholdMs);  // clamped
  }
  SECTION("up, slowly, towards larger trends") {
    OveruseDetector detector;
    Timestamp now = Timestamp::FromMs(0);
    Feed(detector, 20, 20, now);  // 100 ms at 20: 12.5 + 0.0087 * 7.5 * 100 ms ~ 19
    CHECK(detector.ThresholdMs() > 13);
    CHECK(detector.ThresholdMs() < 20);
  }
  SECTION("not at all for a spike far above it") {
    OveruseDetector detector;
    Timestamp now = Timestamp::FromMs(0);
    Feed(detector, 12.5 + OveruseDetector::kMaxAdaptOffsetMs + 1, 20, now);
    CHECK(detector.ThresholdMs() == OveruseDetector::kInitialThresholdMs);
  }
  SECTION("with steps of at most 100 ms after a pause") {
    OveruseDetector detector;
    detector.Detect(11, kSpacing, 60, Timestamp::FromMs(0));
    detector.Detect(11, kSpacing, 60, Timestamp::FromMs(10'000));
    // 12.5 - 0.039 * 1.5 * 100 = 6.65, not the minimum a 10 s step would reach.
    CHECK(detector.ThresholdMs() == Approx(12.5 - 0.039 * 1.5 * 100));
  }
}

}  // namespace myriad::congestion
