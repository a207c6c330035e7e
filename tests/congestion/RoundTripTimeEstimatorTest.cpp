#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>

#include "congestion/RoundTripTimeEstimator.h"

using myriad::congestion::RoundTripTimeEstimator;

namespace {

// Seconds in the 16.16 fixed point of LSR/DLSR.
constexpr uint32_t Fixed(double seconds) { return static_cast<uint32_t>(seconds * 65536.0); }

}  // namespace

TEST_CASE("RoundTripTimeEstimator: RTT = arrival - LSR - DLSR", "[RoundTripTimeEstimator]") {
  struct Row {
    uint32_t lsr;
    uint32_t dlsr;
    uint32_t arrival;
    std::optional<int64_t> expectedUs;
  };
  const Row rows[] = {
      // 50 ms round trip after the receiver held the report for 1 s.
      {Fixed(100.0), Fixed(1.0), Fixed(101.05), 50'000},
      // No sender report seen yet.
      {0, 0, Fixed(5.0), std::nullopt},
      // The NTP middle 32 bits wrap between LSR and arrival.
      {0xFFFF'0000U, Fixed(0.5), 0xFFFF'0000U + Fixed(0.5) + Fixed(0.02), 20'000},
      // DLSR longer than the elapsed time: negative, rejected.
      {Fixed(100.0), Fixed(2.0), Fixed(101.0), std::nullopt},
      // 20 s: implausible.
      {Fixed(100.0), 0, Fixed(120.0), std::nullopt},
  };
  for (const Row& row : rows) {
    RoundTripTimeEstimator rtt;
    const auto sample = rtt.OnReportBlock(row.lsr, row.dlsr, row.arrival);
    if (row.expectedUs) {
      REQUIRE(sample.has_value());
      // The 16.16 format resolves 15 us.
      CHECK(std::abs(*sample - *row.expectedUs) <= 16);
      CHECK(rtt.SmoothedUs() == sample);
    } else {
      CHECK_FALSE(sample.has_value());
      CHECK_FALSE(rtt.SmoothedUs().has_value());
      CHECK(rtt.SmoothedMsOr(100) == 100);
    }
  }
}

TEST_CASE("RoundTripTimeEstimator: smooths with 1/8 weight and keeps the latest",
          "[RoundTripTimeEstimator]") {
  RoundTripTimeEstimator rtt;
  REQUIRE(rtt.OnReportBlock(Fixed(10.0), 0, Fixed(10.0) + Fixed(0.1)));
  const int64_t first = *rtt.SmoothedUs();
  REQUIRE(rtt.OnReportBlock(Fixed(20.0), 0, Fixed(20.0) + Fixed(0.02)));
  CHECK(std::abs(*rtt.LatestUs() - 20'000) <= 16);
  // 100 ms + (20 ms - 100 ms) / 8 = 90 ms.
  CHECK(std::abs(*rtt.SmoothedUs() - (first + (*rtt.LatestUs() - first) / 8)) <= 1);
  CHECK(std::abs(*rtt.SmoothedUs() - 90'000) <= 32);
  CHECK(rtt.SmoothedMsOr(0) == 90);
}
