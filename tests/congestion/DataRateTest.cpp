#include <algorithm>
#include <catch2/catch.hpp>

#include "congestion/DataRate.h"
#include "tests/congestion/CongestionTestPrinters.h"

namespace myriad::congestion {

static_assert(DataRate::FromKbps(300).Bps() == 300'000);
static_assert(DataRate::FromBps(999).Kbps() == 0);

TEST_CASE("DataRate converts between units") {
  CHECK(DataRate::FromKbps(500).Bps() == 500'000);
  CHECK(DataRate::FromBps(1'999).Kbps() == 1);
  CHECK(DataRate::FromBps(1'500).KbpsF() == Approx(1.5));
  CHECK(DataRate::FromBpsF(1234.9).Bps() == 1234);
  CHECK(DataRate::Zero().IsZero());
  CHECK_FALSE(DataRate::PlusInfinity().IsFinite());
  CHECK(DataRate::PlusInfinity() > DataRate::FromKbps(1'000'000'000));
}

TEST_CASE("DataRate arithmetic and comparisons") {
  const DataRate a = DataRate::FromKbps(800);
  const DataRate b = DataRate::FromKbps(200);
  CHECK(a + b == DataRate::FromKbps(1000));
  CHECK(a - b == DataRate::FromKbps(600));
  CHECK(a * 0.85 == DataRate::FromKbps(680));
  CHECK(1.5 * b == DataRate::FromKbps(300));
  CHECK(a / 4 == b);
  CHECK(a / b == Approx(4.0));
  CHECK(b < a);
  CHECK(std::max(a, b) == a);
  DataRate c = a;
  c += b;
  CHECK(c == DataRate::FromKbps(1000));
  c -= a;
  CHECK(c == b);
}

TEST_CASE("DataRate relates bytes and time") {
  struct Case {
    int64_t bytes;
    TimeDelta interval;
    int64_t expectedBps;
  };
  for (const Case& c : {
           Case{1200, TimeDelta::FromMs(10), 960'000},  // a full packet every 10 ms
           Case{125, TimeDelta::FromMs(1), 1'000'000},
           Case{1, TimeDelta::FromSeconds(1), 8},
           Case{1000, TimeDelta::Zero(), 0},  // no interval, no rate
           Case{1000, TimeDelta::FromMs(-5), 0},
       }) {
    INFO(c.bytes << " bytes in " << c.interval.Us() << " us");
    CHECK(DataRate::FromBytesPer(c.bytes, c.interval).Bps() == c.expectedBps);
  }
  const DataRate rate = DataRate::FromKbps(960);
  CHECK(rate.BytesIn(TimeDelta::FromMs(10)) == 1200);
  CHECK(rate.BytesIn(TimeDelta::FromMs(15)) == 1800);
  CHECK(rate.TimeToSend(1200) == TimeDelta::FromMs(10));
  CHECK(DataRate::Zero().TimeToSend(1) == TimeDelta::PlusInfinity());
}

}  // namespace myriad::congestion
