#include <catch2/catch.hpp>

#include "congestion/TransportFeedbackPacer.h"

namespace myriad::congestion {
namespace {

// Feeds `bytesPerSecond` in 10 ms steps from `startMs` for `durationMs`,
// returning the times a report was due.
std::vector<int64_t> Run(TransportFeedbackPacer& pacer, uint64_t bytesPerSecond, int64_t startMs,
                         int64_t durationMs) {
  std::vector<int64_t> due;
  for (int64_t t = startMs; t < startMs + durationMs; t += 10) {
    pacer.OnPacket(static_cast<size_t>(bytesPerSecond / 100));
    if (pacer.IsDue(t)) due.push_back(t);
  }
  return due;
}

}  // namespace

TEST_CASE("TransportFeedbackPacer spends about 5% of the received rate on feedback, 50-250 ms") {
  struct Case {
    uint64_t bytesPerSecond;
    int64_t expectedIntervalMs;
  };
  // interval = 68 * 8 bits / (0.05 * rate)
  for (const Case& c : {
           Case{5'000, 250},   // 40 kbit/s audio: 272 ms wanted, capped
           Case{8'500, 160},   // 68 kbit/s
           Case{17'000, 80},   // 136 kbit/s
           Case{20'000, 68},   // 160 kbit/s
           Case{250'000, 50},  // 2 Mbit/s: 2.7 ms wanted, floor
           Case{0, 250},       // nothing received: as rarely as allowed
       }) {
    INFO(c.bytesPerSecond);
    TransportFeedbackPacer pacer;
    const auto due = Run(pacer, c.bytesPerSecond, 1000, 5000);
    REQUIRE(due.size() >= 3);
    // After the first window (50 ms, rate unknown) the spacing settles.
    CHECK(due[0] == 1050);
    CHECK(pacer.IntervalMs() == c.expectedIntervalMs);
    // Checked every 10 ms: due at the first check at or after the interval.
    const int64_t spacing = due[due.size() - 1] - due[due.size() - 2];
    CHECK(spacing >= c.expectedIntervalMs);
    CHECK(spacing < c.expectedIntervalMs + 10);
  }
}

TEST_CASE("TransportFeedbackPacer follows a rate change within one window") {
  TransportFeedbackPacer pacer;
  Run(pacer, 5'000, 0, 2000);
  CHECK(pacer.IntervalMs() == TransportFeedbackPacer::kMaxIntervalMs);
  // Video starts: the next report after the window ends already speeds up.
  Run(pacer, 250'000, 2000, 600);
  CHECK(pacer.IntervalMs() == TransportFeedbackPacer::kMinIntervalMs);
}

TEST_CASE("TransportFeedbackPacer: the first call only starts the window") {
  TransportFeedbackPacer pacer;
  CHECK_FALSE(pacer.IsDue(100));
  CHECK_FALSE(pacer.IsDue(149));
  CHECK(pacer.IsDue(150));
}

}  // namespace myriad::congestion
