#include <catch2/catch.hpp>
#include <optional>

#include "congestion/ProbeBitrateEstimator.h"
#include "tests/congestion/CongestionTestPrinters.h"

namespace myriad::congestion {
namespace {

Timestamp Us(int64_t us) { return Timestamp::FromUs(us); }

// Sends `sent` packets of `bytes` every `sendSpacingUs` in cluster `id`; acknowledges the first
// `received` of them, arriving every `arrivalSpacingUs`. Returns the last estimate.
std::optional<DataRate> Probe(ProbeBitrateEstimator& estimator, int id, int sent, int received,
                              size_t bytes, int64_t sendSpacingUs, int64_t arrivalSpacingUs) {
  for (int i = 0; i < sent; ++i) estimator.OnProbePacketSent(id, Us(i * sendSpacingUs));
  std::optional<DataRate> rate;
  for (int i = 0; i < received; ++i) {
    rate = estimator.OnProbePacketAcknowledged(id, bytes, Us(i * sendSpacingUs),
                                               Us(50'000'000 + i * arrivalSpacingUs));
  }
  return rate;
}

}  // namespace

TEST_CASE("ProbeBitrateEstimator measures what the path carried") {
  struct Case {
    const char* name;
    int64_t sendSpacingUs;
    int64_t arrivalSpacingUs;
    int64_t expectedBps;
  };
  // 5 packets of 1000 bytes: 4 intervals carry 4000 bytes.
  for (const Case& c : {
           Case{"carried in full: the send rate", 2000, 2000, 4'000'000},
           Case{"arrived a bit slower: the lower rate", 2000, 2100, 3'809'523},
           Case{"arrived a bit faster: still the send rate", 2000, 1800, 4'000'000},
           Case{"saturated: 95% of what arrived", 2000, 4000, 1'900'000},
       }) {
    INFO(c.name);
    ProbeBitrateEstimator estimator;
    const auto rate = Probe(estimator, 3, 5, 5, 1000, c.sendSpacingUs, c.arrivalSpacingUs);
    REQUIRE(rate);
    CHECK(rate->Bps() == c.expectedBps);
    const auto result = estimator.FetchResult();
    REQUIRE(result);
    CHECK(result->clusterId == 3);
    CHECK(result->rate == *rate);
    CHECK_FALSE(estimator.FetchResult());  // handed out once
  }
}

TEST_CASE("ProbeBitrateEstimator needs enough of the cluster back") {
  struct Case {
    int sent;
    int received;
    bool measured;
  };
  for (const Case& c : {
           Case{5, 4, false},   // fewer than 5 packets
           Case{8, 5, false},   // 62% of the cluster
           Case{6, 5, true},    // 83%
           Case{20, 16, true},  // 80%
           Case{20, 15, false},
       }) {
    INFO(c.sent << " sent, " << c.received << " received");
    ProbeBitrateEstimator estimator;
    CHECK(Probe(estimator, 1, c.sent, c.received, 500, 1000, 1000).has_value() == c.measured);
    CHECK(estimator.FetchResult().has_value() == c.measured);
  }
}

TEST_CASE("ProbeBitrateEstimator rejects degenerate intervals") {
  ProbeBitrateEstimator estimator;
  CHECK_FALSE(Probe(estimator, 1, 5, 5, 1000, 1000, 0));        // all arrived at one instant
  CHECK_FALSE(Probe(estimator, 2, 5, 5, 1000, 0, 1000));        // all sent at one instant
  CHECK_FALSE(Probe(estimator, 3, 5, 5, 1000, 300'000, 1000));  // sent over 1.2 s
}

TEST_CASE("ProbeBitrateEstimator ignores packets of clusters it does not know") {
  ProbeBitrateEstimator estimator;
  for (int64_t i = 0; i < 10; ++i) {
    CHECK_FALSE(estimator.OnProbePacketAcknowledged(9, 1000, Us(i * 1000), Us(i * 1000)));
    CHECK_FALSE(estimator.OnProbePacketAcknowledged(-1, 1000, Us(i * 1000), Us(i * 1000)));
  }
  CHECK_FALSE(estimator.FetchResult());
}

TEST_CASE("ProbeBitrateEstimator keeps the newest clusters") {
  ProbeBitrateEstimator estimator;
  const int count = static_cast<int>(ProbeBitrateEstimator::kMaxClusters) + 2;
  for (int id = 1; id <= count; ++id) {
    for (int64_t i = 0; i < 5; ++i) {
      estimator.OnProbePacketSent(id, Us(int64_t{id} * 100'000 + i * 1000));
    }
  }
  // The two oldest were reused; the newest still measure.
  CHECK_FALSE(estimator.OnProbePacketAcknowledged(1, 1000, Us(100'000), Us(0)));
  for (int64_t i = 0; i < 5; ++i) {
    estimator.OnProbePacketAcknowledged(count, 1000, Us(int64_t{count} * 100'000 + i * 1000),
                                        Us(i * 1000));
  }
  const auto result = estimator.FetchResult();
  REQUIRE(result);
  CHECK(result->clusterId == count);
  CHECK(result->rate == DataRate::FromKbps(8000));
}

}  // namespace myriad::congestion
