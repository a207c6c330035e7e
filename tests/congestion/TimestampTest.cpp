#include <catch2/catch.hpp>

#include "congestion/Timestamp.h"
#include "tests/congestion/CongestionTestPrinters.h"

namespace myriad::congestion {

static_assert(Timestamp::FromMs(2) - Timestamp::FromMs(1) == TimeDelta::FromMs(1));

TEST_CASE("Timestamp differences are TimeDeltas") {
  const Timestamp t = Timestamp::FromUs(1'000'250);
  CHECK(t.Us() == 1'000'250);
  CHECK(t.Ms() == 1000);
  CHECK(t + TimeDelta::FromMs(5) == Timestamp::FromUs(1'005'250));
  CHECK(t - TimeDelta::FromMs(5) == Timestamp::FromUs(995'250));
  CHECK(Timestamp::FromMs(10) - t == TimeDelta::FromUs(-990'250));
  Timestamp u = t;
  u += TimeDelta::FromUs(750);
  CHECK(u == Timestamp::FromMs(1001));
  u -= TimeDelta::FromMs(1);
  CHECK(u == Timestamp::FromMs(1000));
  CHECK(Timestamp::FromMs(1) < Timestamp::FromMs(2));
}

TEST_CASE("Timestamp infinities mark never and long ago") {
  CHECK(Timestamp::MinusInfinity() < Timestamp::FromUs(-(int64_t{1} << 60)));
  CHECK(Timestamp::PlusInfinity() > Timestamp::FromUs(int64_t{1} << 60));
  CHECK_FALSE(Timestamp::PlusInfinity().IsFinite());
  CHECK(Timestamp::FromMs(0).IsFinite());
}

}  // namespace myriad::congestion
