#include <catch2/catch.hpp>
#include <string>

#include "loadtest/ServerHistogram.h"
#include "loadtest/client/MetricsScraper.h"

using myriad::loadtest::MetricsScraper;
using myriad::loadtest::ServerHistogram;

namespace {

// Two workers' series, as prometheus-cpp exposes them.
std::string Exposition(int fast0, int slow0, int fast1, int slow1) {
  const auto worker = [](int w, int fast, int slow) {
    const std::string labels = "{worker=\"" + std::to_string(w) + "\",le=\"";
    return "d_bucket" + labels + "0.001\"} " + std::to_string(fast) + "\n" + "d_bucket" + labels +
           "0.01\"} " + std::to_string(fast + slow) + "\n" + "d_bucket" + labels + "+Inf\"} " +
           std::to_string(fast + slow) + "\n" + "d_count{worker=\"" + std::to_string(w) + "\"} " +
           std::to_string(fast + slow) + "\n" + "d_sum{worker=\"" + std::to_string(w) + "\"} " +
           std::to_string(0.0005 * fast + 0.005 * slow) + "\n";
  };
  return "# TYPE d histogram\n" + worker(0, fast0, slow0) + worker(1, fast1, slow1) +
         "other_total 5\n";
}

}  // namespace

TEST_CASE("ServerHistogram sums label sets and estimates quantiles", "[loadtest]") {
  const auto histogram =
      ServerHistogram::FromSamples(MetricsScraper::Parse(Exposition(60, 20, 20, 0)), "d");
  REQUIRE(histogram);
  CHECK(histogram->Count() == 100);
  // 80 of 100 at or below 1 ms: the median lies inside the first bucket.
  CHECK(histogram->Quantile(0.5) == Approx(0.001 * 50.0 / 80.0));
  // The 90th percentile is halfway through (1 ms, 10 ms].
  CHECK(histogram->Quantile(0.9) == Approx(0.001 + 0.009 * 0.5));
  CHECK(histogram->Quantile(1.0) == Approx(0.01));
  CHECK_FALSE(ServerHistogram::FromSamples(MetricsScraper::Parse(Exposition(1, 1, 1, 1)), "x"));
}

TEST_CASE("ServerHistogram difference covers only what happened in between", "[loadtest]") {
  const auto before =
      ServerHistogram::FromSamples(MetricsScraper::Parse(Exposition(100, 0, 0, 0)), "d");
  const auto after =
      ServerHistogram::FromSamples(MetricsScraper::Parse(Exposition(100, 50, 0, 50)), "d");
  REQUIRE(before);
  REQUIRE(after);
  const ServerHistogram window = after->Minus(*before);
  CHECK(window.Count() == 100);
  // Everything new was slow: no sample at or below 1 ms.
  CHECK(window.Quantile(0.01) > 0.001);
  CHECK(window.Quantile(0.5) == Approx(0.001 + 0.009 * 0.5));
  CHECK(window.Sum() == Approx(0.5));
  const ServerHistogram empty = before->Minus(*before);
  CHECK(empty.Count() == 0);
  CHECK(empty.Quantile(0.99) == 0);
}
