#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>

#include "simulcast/AudioLevelSmoother.h"

using myriad::simulcast::AudioLevelSmoother;

namespace {
constexpr int64_t kTimeConstantMs = 150;
constexpr int64_t kSilenceTimeoutMs = 300;

// Sends `level` every `intervalMs` at times fromMs, fromMs + intervalMs, ... up to toMs inclusive.
void Feed(AudioLevelSmoother& smoother, uint8_t level, int64_t fromMs, int64_t toMs,
          int64_t intervalMs = 20) {
  for (int64_t t = fromMs; t <= toMs; t += intervalMs) smoother.OnSample(level, t);
}

// Where a first-order low-pass from `fromDbov` stands after `ms` of a constant `toDbov`.
double Expected(double fromDbov, double toDbov, int64_t ms) {
  return toDbov + (fromDbov - toDbov) * std::exp(-static_cast<double>(ms) / kTimeConstantMs);
}
}  // namespace

TEST_CASE("AudioLevelSmoother starts silent", "[AudioLevelSmoother]") {
  const AudioLevelSmoother smoother(kTimeConstantMs, kSilenceTimeoutMs);
  CHECK_FALSE(smoother.HasSample());
  CHECK(smoother.LevelDbov(0) == AudioLevelSmoother::kSilenceDbov);
}

TEST_CASE("AudioLevelSmoother rises from silence with the time constant and converges",
          "[AudioLevelSmoother]") {
  AudioLevelSmoother smoother(kTimeConstantMs, kSilenceTimeoutMs);
  // The first sample covers kFirstSampleMs, each later one the 20 ms since the previous.
  smoother.OnSample(30, 0);
  CHECK(smoother.LevelDbov(0) == Approx(Expected(-127, -30, 20)));
  Feed(smoother, 30, 20, 140);  // 160 ms covered in all
  CHECK(smoother.LevelDbov(140) == Approx(Expected(-127, -30, 160)));
  CHECK(smoother.LevelDbov(140) < -60);  // still far from the level: one syllable is not enough
  Feed(smoother, 30, 160, 2000);
  CHECK(smoother.LevelDbov(2000) == Approx(-30).margin(0.01));
}

TEST_CASE("AudioLevelSmoother decays towards silence", "[AudioLevelSmoother]") {
  AudioLevelSmoother smoother(kTimeConstantMs, kSilenceTimeoutMs);
  Feed(smoother, 30, 0, 2000);
  Feed(smoother, 127, 2020, 2150);  // 140 ms of silence samples
  CHECK(smoother.LevelDbov(2150) == Approx(Expected(-30, -127, 140)).margin(0.01));
  Feed(smoother, 127, 2160, 4000);
  CHECK(smoother.LevelDbov(4000) == Approx(-127).margin(0.01));
}

TEST_CASE("AudioLevelSmoother weights samples by time, not by packet count",
          "[AudioLevelSmoother]") {
  AudioLevelSmoother every20(kTimeConstantMs, kSilenceTimeoutMs);
  AudioLevelSmoother every60(kTimeConstantMs, kSilenceTimeoutMs);
  Feed(every20, 30, 0, 1200, 20);
  Feed(every60, 30, 0, 1200, 60);
  // Both switch to -90 dBov after 1200 ms; 300 ms later both have seen 300 ms of it.
  Feed(every20, 90, 1220, 1500, 20);
  Feed(every60, 90, 1260, 1500, 60);
  CHECK(every20.LevelDbov(1500) == Approx(Expected(-30, -90, 300)).margin(0.01));
  CHECK(every60.LevelDbov(1500) == Approx(every20.LevelDbov(1500)).margin(0.01));
}

TEST_CASE("AudioLevelSmoother is silent after the timeout and restarts from silence",
          "[AudioLevelSmoother]") {
  AudioLevelSmoother smoother(kTimeConstantMs, kSilenceTimeoutMs);
  Feed(smoother, 30, 0, 2000);
  CHECK(smoother.LevelDbov(2000 + kSilenceTimeoutMs - 1) == Approx(-30).margin(0.01));
  CHECK(smoother.LevelDbov(2000 + kSilenceTimeoutMs) == AudioLevelSmoother::kSilenceDbov);
  // Packets resume: the gap was silence, not 2.5 s of the old level.
  smoother.OnSample(30, 4500);
  CHECK(smoother.LevelDbov(4500) == Approx(Expected(-127, -30, 20)));
}

TEST_CASE("AudioLevelSmoother gives no weight to samples covering no time",
          "[AudioLevelSmoother]") {
  AudioLevelSmoother smoother(kTimeConstantMs, kSilenceTimeoutMs);
  Feed(smoother, 30, 0, 1000);
  const double before = smoother.LevelDbov(1000);
  smoother.OnSample(0, 1000);  // same instant (one receive batch)
  smoother.OnSample(0, 900);   // older than the newest sample
  CHECK(smoother.LevelDbov(1000) == before);
  // The clock did not go back: this sample covers the 20 ms since 1000, not 120 ms.
  smoother.OnSample(127, 1020);
  CHECK(smoother.LevelDbov(1020) == Approx(Expected(before, -127, 20)));
}

TEST_CASE("AudioLevelSmoother treats out-of-range levels as silence", "[AudioLevelSmoother]") {
  AudioLevelSmoother smoother(0, kSilenceTimeoutMs);  // no smoothing: follows each sample
  smoother.OnSample(200, 0);
  CHECK(smoother.LevelDbov(0) == -127);
  smoother.OnSample(0, 20);
  CHECK(smoother.LevelDbov(20) == 0);
  smoother.OnSample(45, 40);
  CHECK(smoother.LevelDbov(40) == -45);
}

TEST_CASE("AudioLevelSmoother falls with its release time constant, rises with its attack") {
  using myriad::simulcast::AudioLevelSmoother;
  AudioLevelSmoother symmetric(150, 300);
  AudioLevelSmoother slowRelease(150, 300, 1000);
  int64_t now = 0;
  for (; now < 2000; now += 20) {
    symmetric.OnSample(20, now);
    slowRelease.OnSample(20, now);
  }
  // Both rose the same way.
  CHECK(symmetric.LevelDbov(now) == Approx(slowRelease.LevelDbov(now)));
  CHECK(slowRelease.LevelDbov(now) == Approx(-20).margin(0.1));
  // 300 ms of silence: the symmetric one is far below -50 dBov, the slow
  // one still above (one release constant would take it 63% of the way).
  for (const int64_t end = now + 300; now < end; now += 20) {
    symmetric.OnSample(127, now);
    slowRelease.OnSample(127, now);
  }
  CHECK(symmetric.LevelDbov(now) < -90);
  CHECK(slowRelease.LevelDbov(now) > -50);
  CHECK(slowRelease.LevelDbov(now) < -40);
}
