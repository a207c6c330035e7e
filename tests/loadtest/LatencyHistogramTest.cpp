// Percentiles of the load generator's histograms against exact ones.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <vector>

#include "loadtest/LatencyHistogram.h"

namespace myriad::loadtest {
namespace {

// Nearest-rank percentile of the exact values.
double Exact(std::vector<int64_t> values, double percent) {
  std::sort(values.begin(), values.end());
  const auto rank = std::max<size_t>(
      1, static_cast<size_t>(std::ceil(percent / 100.0 * static_cast<double>(values.size()))));
  return static_cast<double>(values[rank - 1]);
}

}  // namespace

TEST_CASE("LatencyHistogram is exact below 256 and nearest-rank", "[loadtest]") {
  LatencyHistogram histogram;
  for (int64_t v = 1; v <= 100; ++v) histogram.Record(v);
  CHECK(histogram.Count() == 100);
  CHECK(histogram.Min() == 1);
  CHECK(histogram.Max() == 100);
  CHECK(histogram.Mean() == Approx(50.5));
  CHECK(histogram.Percentile(50) == 50);
  CHECK(histogram.Percentile(95) == 95);
  CHECK(histogram.Percentile(99) == 99);
  CHECK(histogram.Percentile(100) == 100);
  CHECK(histogram.Percentile(0.1) == 1);
}

TEST_CASE("LatencyHistogram percentiles are within 0.4% of the exact ones", "[loadtest]") {
  std::mt19937 random(7);
  std::lognormal_distribution<double> latency(std::log(20'000.0), 1.0);
  std::vector<int64_t> values;
  LatencyHistogram histogram;
  for (int i = 0; i < 50'000; ++i) {
    const auto value = static_cast<int64_t>(latency(random));
    values.push_back(value);
    histogram.Record(value);
  }
  for (const double percent : {1.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0}) {
    INFO("p" << percent);
    const double exact = Exact(values, percent);
    CHECK(std::abs(histogram.Percentile(percent) - exact) <= exact * 0.004 + 0.5);
  }
  CHECK(histogram.Max() == *std::max_element(values.begin(), values.end()));
}

TEST_CASE("LatencyHistogram buckets tile the value range without gaps", "[loadtest]") {
  for (size_t bucket = 0; bucket + 1 < LatencyHistogram::kBucketCount; ++bucket) {
    INFO("bucket " << bucket);
    REQUIRE(LatencyHistogram::BucketHigh(bucket) + 1 == LatencyHistogram::BucketLow(bucket + 1));
    REQUIRE(LatencyHistogram::BucketOf(LatencyHistogram::BucketLow(bucket)) == bucket);
    REQUIRE(LatencyHistogram::BucketOf(LatencyHistogram::BucketHigh(bucket)) == bucket);
  }
  CHECK(LatencyHistogram::BucketOf(-5) == 0);
  CHECK(LatencyHistogram::BucketOf(INT64_MAX) == LatencyHistogram::kBucketCount - 1);
}

TEST_CASE("LatencyHistogram merges like recording everything in one", "[loadtest]") {
  LatencyHistogram a;
  LatencyHistogram b;
  LatencyHistogram all;
  for (int64_t v = 0; v < 3000; v += 7) {
    (v % 2 ? a : b).Record(v * 13);
    all.Record(v * 13);
  }
  LatencyHistogram empty;
  a.Merge(empty);
  a.Merge(b);
  CHECK(a.Count() == all.Count());
  CHECK(a.Min() == all.Min());
  CHECK(a.Max() == all.Max());
  CHECK(a.Mean() == Approx(all.Mean()));
  for (const double percent : {50.0, 95.0, 99.0})
    CHECK(a.Percentile(percent) == all.Percentile(percent));
  CHECK(LatencyHistogram().Percentile(99) == 0);
}

}  // namespace myriad::loadtest
