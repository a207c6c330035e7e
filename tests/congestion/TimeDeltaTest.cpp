#include <catch2/catch.hpp>

#include "congestion/TimeDelta.h"
#include "tests/congestion/CongestionTestPrinters.h"

namespace myriad::congestion {

static_assert(TimeDelta::FromMs(3).Us() == 3000);
static_assert(TimeDelta::FromSeconds(2) == TimeDelta::FromMs(2000));
static_assert(TimeDelta::FromMs(5) > TimeDelta::FromUs(4999));

TEST_CASE("TimeDelta converts between units") {
  CHECK(TimeDelta::FromUs(1500).Ms() == 1);
  CHECK(TimeDelta::FromUs(-1500).Ms() == -1);  // truncates towards zero
  CHECK(TimeDelta::FromUs(1500).MsF() == Approx(1.5));
  CHECK(TimeDelta::FromMs(250).SecondsF() == Approx(0.25));
  CHECK(TimeDelta::FromSecondsF(0.0125).Us() == 12'500);
  CHECK(TimeDelta::Zero().Us() == 0);
}

TEST_CASE("TimeDelta arithmetic") {
  const TimeDelta a = TimeDelta::FromMs(30);
  const TimeDelta b = TimeDelta::FromMs(12);
  CHECK((a + b) == TimeDelta::FromMs(42));
  CHECK((a - b) == TimeDelta::FromMs(18));
  CHECK((b - a) == TimeDelta::FromMs(-18));
  CHECK((b - a).Abs() == TimeDelta::FromMs(18));
  CHECK(-a == TimeDelta::FromMs(-30));
  CHECK(a * 2 == TimeDelta::FromMs(60));
  CHECK(3 * a == TimeDelta::FromMs(90));
  CHECK(a * 0.5 == TimeDelta::FromMs(15));
  CHECK(a / 4 == TimeDelta::FromUs(7500));
  CHECK(a / b == Approx(2.5));
  TimeDelta c = a;
  c += b;
  CHECK(c == TimeDelta::FromMs(42));
  c -= a;
  CHECK(c == b);
}

TEST_CASE("TimeDelta infinities are markers, ordered beyond every value") {
  CHECK(TimeDelta::PlusInfinity() > TimeDelta::FromSeconds(1'000'000));
  CHECK(TimeDelta::MinusInfinity() < TimeDelta::FromSeconds(-1'000'000));
  CHECK_FALSE(TimeDelta::PlusInfinity().IsFinite());
  CHECK_FALSE(TimeDelta::MinusInfinity().IsFinite());
  CHECK(TimeDelta::FromMs(1).IsFinite());
}

}  // namespace myriad::congestion
