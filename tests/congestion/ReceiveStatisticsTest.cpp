#include <catch2/catch.hpp>

#include "congestion/ReceiveStatistics.h"

using myriad::congestion::ReceiveStatistics;

TEST_CASE("ReceiveStatistics reports nothing before the first packet") {
  ReceiveStatistics stats(90000);
  CHECK_FALSE(stats.MakeReport().has_value());
}

TEST_CASE("ReceiveStatistics counts loss per interval and cumulatively (RFC 3550 A.3)") {
  ReceiveStatistics stats(90000);
  // 100 packets expected, 10 lost.
  for (uint16_t seq = 0; seq < 100; ++seq) {
    if (seq % 10 == 5) continue;
    stats.OnPacket(seq, seq * 3000u, seq * 33'333);
  }
  auto report = stats.MakeReport();
  REQUIRE(report);
  CHECK(report->extendedHighestSequence == 99);
  CHECK(report->cumulativeLost == 10);
  CHECK(report->fractionLost == (10 * 256) / 100);
  // Next interval: no loss.
  for (uint16_t seq = 100; seq < 150; ++seq) stats.OnPacket(seq, seq * 3000u, seq * 33'333);
  report = stats.MakeReport();
  REQUIRE(report);
  CHECK(report->fractionLost == 0);
  CHECK(report->cumulativeLost == 10);
}

TEST_CASE("ReceiveStatistics extends the highest sequence number across wrap-around") {
  ReceiveStatistics stats(48000);
  for (uint32_t i = 0; i < 20; ++i) {
    const uint16_t seq = static_cast<uint16_t>(65530 + i);
    stats.OnPacket(seq, i * 960, i * 20'000);
  }
  const auto report = stats.MakeReport();
  REQUIRE(report);
  CHECK(report->extendedHighestSequence == 65536u + 13u);
  CHECK(report->cumulativeLost == 0);
}

TEST_CASE("ReceiveStatistics jitter is zero for perfectly paced packets and grows with jitter") {
  ReceiveStatistics steady(90000);
  ReceiveStatistics jittery(90000);
  for (uint16_t seq = 0; seq < 200; ++seq) {
    const int64_t arrival = seq * 33'333;
    steady.OnPacket(seq, static_cast<uint32_t>(arrival * 90 / 1000), arrival);
    jittery.OnPacket(seq, static_cast<uint32_t>(arrival * 90 / 1000),
                     arrival + (seq % 2 ? 10'000 : 0));  // +-10 ms alternating
  }
  CHECK(steady.MakeReport()->jitter <= 1);
  const auto jitter = jittery.MakeReport()->jitter;
  // 10 ms of 90 kHz is 900 ticks; the RFC estimator converges near it.
  CHECK(jitter > 700);
  CHECK(jitter < 1000);
}
