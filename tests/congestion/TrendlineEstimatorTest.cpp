#include <catch2/catch.hpp>

#include "congestion/TrendlineEstimator.h"

namespace myriad::congestion {
namespace {

// Feeds `count` groups sent every 20 ms whose arrival spacing is 20 ms + `growthUs`.
void Feed(TrendlineEstimator& trendline, int count, int64_t growthUs, Timestamp& arrival) {
  for (int i = 0; i < count; ++i) {
    const TimeDelta arrivalDelta = TimeDelta::FromMs(20) + TimeDelta::FromUs(growthUs);
    arrival += arrivalDelta;
    trendline.Update(TimeDelta::FromMs(20), arrivalDelta, arrival);
  }
}

}  // namespace

TEST_CASE("TrendlineEstimator: the slope follows the queue, its sign the direction") {
  struct Case {
    const char* name;
    int64_t growthUs;  // per 20 ms group
  };
  for (const Case& c : {
           Case{"queue growing", 1000},
           Case{"queue growing slowly", 200},
           Case{"queue steady", 0},
           Case{"queue draining", -1000},
       }) {
    INFO(c.name);
    TrendlineEstimator trendline;
    Timestamp arrival = Timestamp::FromMs(1000);
    Feed(trendline, 100, c.growthUs, arrival);  // long enough for the smoothing to settle
    // Delay gained per ms of arrival time: growth / (20 ms + growth).
    const double expected =
        static_cast<double>(c.growthUs) / static_cast<double>(20'000 + c.growthUs);
    CHECK(trendline.Slope() == Approx(expected).margin(0.0005));
    CHECK(trendline.DeltaCount() == 100);
    // The modified trend scales the slope by min(samples, 60) and the gain.
    CHECK(trendline.ModifiedTrend() == Approx(trendline.Slope() * 60 * 4));
  }
}

TEST_CASE("TrendlineEstimator waits for a full window before fitting") {
  TrendlineEstimator trendline;
  Timestamp arrival = Timestamp::FromMs(0);
  Feed(trendline, static_cast<int>(TrendlineEstimator::kWindowSize) - 1, 2000, arrival);
  CHECK(trendline.Slope() == 0);
  Feed(trendline, 1, 2000, arrival);
  CHECK(trendline.Slope() > 0);
  // Few samples: the modified trend is scaled by their count, not by 60.
  CHECK(trendline.ModifiedTrend() ==
        Approx(trendline.Slope() * TrendlineEstimator::kWindowSize * 4));
}

TEST_CASE("TrendlineEstimator turns from rising to falling when the queue drains") {
  TrendlineEstimator trendline;
  Timestamp arrival = Timestamp::FromMs(0);
  Feed(trendline, 40, 1500, arrival);
  const double rising = trendline.Slope();
  CHECK(rising > 0.05);
  Feed(trendline, 40, -1500, arrival);
  CHECK(trendline.Slope() < -0.05);
}

TEST_CASE("TrendlineEstimator ignores a constant offset between the clocks") {
  TrendlineEstimator a;
  TrendlineEstimator b;
  Timestamp arrivalA = Timestamp::FromMs(0);
  Timestamp arrivalB = Timestamp::FromMs(123'456'789);
  Feed(a, 50, 700, arrivalA);
  Feed(b, 50, 700, arrivalB);
  CHECK(a.Slope() == Approx(b.Slope()));
}

}  // namespace myriad::congestion
