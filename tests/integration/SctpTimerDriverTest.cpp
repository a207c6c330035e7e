// The client's driver of the process-wide usrsctp timers: one per
// io_context, shared, gone with its last holder.

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "loadtest/client/SctpTimerDriver.h"

namespace myriad::integration {
namespace {

using loadtest::SctpTimerDriver;

}  // namespace

TEST_CASE("SctpTimerDriver runs one driver per io_context, shared by its holders", "[sctp]") {
  boost::asio::io_context first;
  boost::asio::io_context second;
  const size_t before = SctpTimerDriver::RunningCount();
  auto a = SctpTimerDriver::Acquire(first);
  auto b = SctpTimerDriver::Acquire(first);
  auto c = SctpTimerDriver::Acquire(second);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(SctpTimerDriver::RunningCount() == before + 2);

  a.reset();
  CHECK(SctpTimerDriver::RunningCount() == before + 2);  // b still holds it
  b.reset();
  CHECK(SctpTimerDriver::RunningCount() == before + 1);
  // A later holder starts a new one.
  auto d = SctpTimerDriver::Acquire(first);
  CHECK(d != nullptr);
  CHECK(SctpTimerDriver::RunningCount() == before + 2);
  c.reset();
  d.reset();
  CHECK(SctpTimerDriver::RunningCount() == before);
}

TEST_CASE("SctpTimerDriver advances the SCTP timers every interval while held", "[sctp]") {
  boost::asio::io_context context;
  auto driver = SctpTimerDriver::Acquire(context);
  // Each run_one waits for the next expiry (kInterval) and runs one tick.
  for (int i = 0; i < 3; ++i) REQUIRE(context.run_one() == 1);
  CHECK(driver->Ticks() == 3);
  // Released: the pending wait is cancelled and nothing reschedules it.
  driver.reset();
  context.restart();
  context.run();  // returns once the cancelled wait has completed
  CHECK(context.stopped());
}

}  // namespace myriad::integration
