// ControlOneWayDelays: a round trip split by the server's timestamps, and
// the check that the server shares the generator's clock. Microseconds.

#include <catch2/catch.hpp>
#include <cstdint>

#include "loadtest/ControlOneWayDelays.h"

namespace myriad::loadtest {
namespace {

constexpr int64_t kWithinUs = 200'000;

TEST_CASE("ControlOneWayDelays splits round trips on a shared clock", "[loadtest]") {
  ControlOneWayDelays delays(kWithinUs);
  CHECK_FALSE(delays.SharedClock());  // nothing to judge by yet

  // 30 ms up, 0.1 ms at the server, 30 ms down.
  delays.Add(1'000'000, 1'030'000, 1'030'100, 1'060'100);
  // The request lost once: 250 ms up; the reply on time.
  delays.Add(2'000'000, 2'250'000, 2'250'050, 2'280'050);
  // The reply lost once: 230 ms down.
  delays.Add(3'000'000, 3'030'000, 3'030'000, 3'260'000);
  // Exactly at the limit counts as within.
  delays.Add(4'000'000, 4'200'000, 4'200'000, 4'400'000);

  CHECK(delays.SharedClock());
  CHECK(delays.Samples() == 4);
  CHECK(delays.UplinkWithin() == 3);
  CHECK(delays.DownlinkWithin() == 3);
  CHECK(delays.Uplink().Min() == 30'000);
  CHECK(delays.Uplink().Max() == 250'000);
  CHECK(delays.Downlink().Min() == 30'000);
  CHECK(delays.Downlink().Max() == 230'000);
  CHECK(delays.AtServer().Max() == 100);
}

TEST_CASE("ControlOneWayDelays allows the server's timestamp conversion a millisecond",
          "[loadtest]") {
  ControlOneWayDelays delays(kWithinUs);
  // The kernel's receive time, converted to the monotonic clock, may read a
  // little before the generator handed the request over on loopback.
  delays.Add(1'000'000, 999'400, 999'500, 1'000'200);
  CHECK(delays.SharedClock());
  CHECK(delays.Uplink().Min() == 0);  // a negative delay records as 0
}

TEST_CASE("ControlOneWayDelays notices a server on another clock", "[loadtest]") {
  SECTION("server clock behind: a request arrives before it was sent") {
    ControlOneWayDelays delays(kWithinUs);
    delays.Add(1'000'000, 1'030'000, 1'030'100, 1'060'100);
    delays.Add(50'000'000, 40'030'000, 40'030'100, 50'060'100);
    CHECK_FALSE(delays.SharedClock());
  }
  SECTION("server clock ahead: a reply arrives before it left") {
    ControlOneWayDelays delays(kWithinUs);
    delays.Add(1'000'000, 9'030'000, 9'030'100, 1'060'100);
    CHECK_FALSE(delays.SharedClock());
  }
  SECTION("replied before received") {
    ControlOneWayDelays delays(kWithinUs);
    delays.Add(1'000'000, 1'030'000, 1'029'000, 1'060'100);
    CHECK_FALSE(delays.SharedClock());
  }
}

}  // namespace
}  // namespace myriad::loadtest
