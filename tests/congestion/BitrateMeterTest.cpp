#include <catch2/catch.hpp>

#include "congestion/BitrateMeter.h"

using myriad::congestion::BitrateMeter;

TEST_CASE("BitrateMeter: steady stream", "[BitrateMeter]") {
  BitrateMeter meter;
  CHECK(meter.RateBps(0) == 0);
  // 1000 bytes every 10 ms = 800 kbit/s.
  for (int64_t t = 0; t < 3000; t += 10) meter.OnPacket(1000, t);
  CHECK(meter.RateBps(2999) == Approx(800'000).epsilon(0.02));
}

TEST_CASE("BitrateMeter: a new stream is measured over its own age", "[BitrateMeter]") {
  BitrateMeter meter;
  for (int64_t t = 1000; t < 1300; t += 10) meter.OnPacket(500, t);
  // 30 packets x 500 bytes over 300 ms = 400 kbit/s, not 120 kbit/s.
  CHECK(meter.RateBps(1300) == Approx(400'000).epsilon(0.05));
}

TEST_CASE("BitrateMeter: a stream that stops decays to zero within the window", "[BitrateMeter]") {
  BitrateMeter meter;
  for (int64_t t = 0; t < 2000; t += 10) meter.OnPacket(1000, t);
  // The window 1600-2599 ms holds 40 packets: 320 kbit/s.
  CHECK(meter.RateBps(2500) == Approx(320'000).epsilon(0.01));
  CHECK(meter.RateBps(3000) == 0);
  CHECK(meter.RateBps(60'000) == 0);
}

TEST_CASE("BitrateMeter: a rate step shows within one window", "[BitrateMeter]") {
  BitrateMeter meter;
  for (int64_t t = 0; t < 2000; t += 10) meter.OnPacket(1000, t);    // 800 kbit/s
  for (int64_t t = 2000; t < 4000; t += 10) meter.OnPacket(250, t);  // 200 kbit/s
  CHECK(meter.RateBps(3999) == Approx(200'000).epsilon(0.02));
}
