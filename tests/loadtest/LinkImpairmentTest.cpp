// LinkImpairment: one direction of an impaired path, time passed in.

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "loadtest/client/LinkImpairment.h"

namespace myriad::loadtest {
namespace {

using namespace std::chrono_literals;
using Clock = LinkImpairment::Clock;

const Clock::time_point kT0 = Clock::time_point{} + 1000s;

LinkImpairment::Options Rate(uint64_t bitsPerSecond, size_t queueLimitBytes = 0) {
  LinkImpairment::Options options;
  options.rateBitsPerSecond = bitsPerSecond;
  options.queueLimitBytes = queueLimitBytes;
  return options;
}

}  // namespace

TEST_CASE("LinkImpairment spaces packets exactly by their serialization time at the rate cap",
          "[loadtest][impairment]") {
  struct Case {
    uint64_t bitsPerSecond;
    size_t bytes;
    Clock::duration spacing;
  };
  const std::vector<Case> cases = {
      {800'000, 1000, 10ms},    // 8000 bits at 800 kbit/s
      {1'000'000, 1250, 10ms},  // 10000 bits at 1 Mbit/s
      {8'000'000, 100, 100us},  // 800 bits at 8 Mbit/s
      {300'000, 1200, 32ms},    // 9600 bits at 300 kbit/s
      {3'000'000, 1, 2667ns},   // 8 bits at 3 Mbit/s, rounded up to the nanosecond
  };
  for (const auto& c : cases) {
    INFO(c.bitsPerSecond << " bit/s, " << c.bytes << " bytes");
    LinkImpairment link(Rate(c.bitsPerSecond));
    // A burst admitted at one instant leaves one serialization time apart.
    for (int i = 1; i <= 5; ++i) {
      const auto due = link.Admit(c.bytes, kT0);
      REQUIRE(due);
      CHECK(*due - kT0 == i * c.spacing);
    }
    // A packet arriving once the link is idle again goes straight on.
    const auto later = kT0 + 1s;
    CHECK(link.Admit(c.bytes, later) == later + c.spacing);
    CHECK(link.GetCounters().admitted == 6);
    CHECK(link.GetCounters().Dropped() == 0);
  }
}

TEST_CASE("LinkImpairment adds its delay after serialization; unlimited links only delay",
          "[loadtest][impairment]") {
  LinkImpairment::Options options = Rate(800'000);
  options.delay = 50ms;
  LinkImpairment capped(options);
  CHECK(capped.Admit(1000, kT0) == kT0 + 60ms);
  CHECK(capped.Admit(1000, kT0) == kT0 + 70ms);
  CHECK(capped.Admit(1000, kT0 + 5ms) == kT0 + 80ms);

  options.rateBitsPerSecond = 0;
  LinkImpairment unlimited(options);
  for (int i = 0; i < 10; ++i) CHECK(unlimited.Admit(1500, kT0 + i * 1ms) == kT0 + 50ms + i * 1ms);
  CHECK(unlimited.BacklogBytes(kT0) == 0);
}

TEST_CASE("LinkImpairment tail-drops what does not fit in its buffer, as a router does",
          "[loadtest][impairment]") {
  // Three 1000-byte packets fit in 3000 bytes (the one being serialized
  // counts); a burst of five loses the last two.
  LinkImpairment link(Rate(800'000, 3000));
  std::vector<std::optional<Clock::time_point>> dues;
  for (int i = 0; i < 5; ++i) dues.push_back(link.Admit(1000, kT0));
  CHECK(dues[0] == kT0 + 10ms);
  CHECK(dues[1] == kT0 + 20ms);
  CHECK(dues[2] == kT0 + 30ms);
  CHECK(!dues[3]);
  CHECK(!dues[4]);
  CHECK(link.LastDropReason() == LinkImpairment::DropReason::kQueueFull);
  CHECK(link.GetCounters().droppedQueueFull == 2);
  CHECK(link.GetCounters().admitted == 3);
  CHECK(link.BacklogBytes(kT0) == 3000);
  // Half a packet later the backlog is 2500 bytes: 500 more fit, 501 do not.
  CHECK(link.BacklogBytes(kT0 + 5ms) == 2500);
  CHECK(!link.Admit(501, kT0 + 5ms));
  CHECK(link.Admit(500, kT0 + 5ms) == kT0 + 35ms);
  CHECK(!link.LastDropReason());
  // Once drained, a full buffer's worth fits again.
  CHECK(link.BacklogBytes(kT0 + 35ms) == 0);
  CHECK(link.Admit(3000, kT0 + 35ms) == kT0 + 65ms);
  CHECK(link.GetCounters().droppedQueueFull == 3);
}

TEST_CASE("LinkImpairment jitter stays within its bounds and reorders only when allowed",
          "[loadtest][impairment]") {
  for (const auto distribution : {LinkImpairment::JitterDistribution::kUniform,
                                  LinkImpairment::JitterDistribution::kNormal}) {
    for (const bool allowReorder : {false, true}) {
      INFO("normal " << (distribution == LinkImpairment::JitterDistribution::kNormal)
                     << ", reorder " << allowReorder);
      LinkImpairment::Options options;
      options.delay = 50ms;
      options.jitter = 10ms;
      options.jitterDistribution = distribution;
      options.allowReorder = allowReorder;
      options.seed = 77;
      LinkImpairment link(options);
      std::vector<Clock::duration> transit;
      int reordered = 0;
      std::optional<Clock::time_point> previous;
      for (int i = 0; i < 2000; ++i) {
        const auto now = kT0 + i * 1ms;
        const auto due = link.Admit(200, now);
        REQUIRE(due);
        transit.push_back(*due - now);
        if (previous && *due < *previous) ++reordered;
        previous = due;
      }
      const auto [shortest, longest] = std::minmax_element(transit.begin(), transit.end());
      CHECK(*shortest >= 40ms);
      CHECK(*longest <= 60ms);
      if (allowReorder) {
        // 1 ms apart with 20 ms of spread: many overtake.
        CHECK(reordered > 100);
        // The spread is used: transit times reach near both bounds.
        CHECK(*shortest < 43ms);
        CHECK(*longest > 57ms);
      } else {
        CHECK(reordered == 0);
      }
      // The same seed, the same times.
      LinkImpairment again(options);
      for (int i = 0; i < 2000; ++i) {
        const auto now = kT0 + i * 1ms;
        REQUIRE(again.Admit(200, now) == now + transit[i]);
      }
    }
  }
}

TEST_CASE("LinkImpairment normal jitter has sigma = jitter / 2", "[loadtest][impairment]") {
  LinkImpairment::Options options;
  options.delay = 100ms;
  options.jitter = 20ms;
  options.jitterDistribution = LinkImpairment::JitterDistribution::kNormal;
  options.allowReorder = true;
  LinkImpairment link(options);
  double sum = 0;
  double squares = 0;
  constexpr int kCount = 100'000;
  for (int i = 0; i < kCount; ++i) {
    const auto now = kT0 + i * 1ms;
    const double offsetMs =
        std::chrono::duration<double, std::milli>(*link.Admit(100, now) - now - 100ms).count();
    sum += offsetMs;
    squares += offsetMs * offsetMs;
  }
  const double mean = sum / kCount;
  const double sigma = std::sqrt(squares / kCount - mean * mean);
  CHECK(mean == Approx(0).margin(0.1));
  // A little under 10 ms: the tails beyond 2 sigma are cut to the bounds.
  CHECK(sigma == Approx(9.6).margin(0.3));
}

TEST_CASE("LinkImpairment loses packets by its loss model and counts random and burst losses",
          "[loadtest][impairment]") {
  LinkImpairment::Options options = Rate(800'000, 3000);
  options.loss = GilbertElliottLoss::Independent(1.0);
  LinkImpairment all(options);
  for (int i = 0; i < 50; ++i) CHECK(!all.Admit(1000, kT0));
  CHECK(all.LastDropReason() == LinkImpairment::DropReason::kRandomLoss);
  CHECK(all.GetCounters().droppedRandomLoss == 50);
  // Lost packets take no room on the link.
  CHECK(all.BacklogBytes(kT0) == 0);

  options = LinkImpairment::Options{};
  options.loss = GilbertElliottLoss::Bursty(0.1, 4);
  options.seed = 11;
  LinkImpairment bursty(options);
  int lost = 0;
  for (int i = 0; i < 100'000; ++i) lost += bursty.Admit(100, kT0 + i * 1ms) ? 0 : 1;
  CHECK(bursty.GetCounters().droppedBurstLoss == static_cast<uint64_t>(lost));
  CHECK(bursty.GetCounters().droppedRandomLoss == 0);
  CHECK(lost == Approx(10'000).epsilon(0.1));
}

TEST_CASE("LinkImpairment rate changes at runtime: the backlog drains at the new rate",
          "[loadtest][impairment]") {
  LinkImpairment link(Rate(800'000));
  CHECK(link.Admit(1000, kT0) == kT0 + 10ms);
  CHECK(link.Admit(1000, kT0) == kT0 + 20ms);
  CHECK(link.Admit(1000, kT0) == kT0 + 30ms);

  // Halved 5 ms in: 2500 bytes are still queued and take 50 ms at 400 kbit/s;
  // a new packet waits behind them and takes 20 ms itself.
  link.SetOptions(Rate(400'000), kT0 + 5ms);
  CHECK(link.BacklogBytes(kT0 + 5ms) == 2500);
  CHECK(link.Admit(1000, kT0 + 5ms) == kT0 + 75ms);
  CHECK(link.Admit(1000, kT0 + 100ms) == kT0 + 120ms);

  // Raised 110 ms in: the 500 bytes left take 0.5 ms at 8 Mbit/s. A new
  // packet is serialized by 111.5 ms but, admitted after the packet that
  // was promised 120 ms at the old rate, does not overtake it.
  CHECK(link.BacklogBytes(kT0 + 110ms) == 500);
  link.SetOptions(Rate(8'000'000), kT0 + 110ms);
  CHECK(link.BacklogBytes(kT0 + 110ms) == 500);
  CHECK(link.BacklogBytes(kT0 + 110ms + 250us) == 250);
  CHECK(link.Admit(1000, kT0 + 110ms) == kT0 + 120ms);
  CHECK(link.BacklogBytes(kT0 + 111ms) == 500);
  CHECK(link.Admit(1000, kT0 + 125ms) == kT0 + 126ms);

  // Unlimited: no backlog, no serialization.
  link.SetOptions(Rate(0), kT0 + 130ms);
  CHECK(link.BacklogBytes(kT0 + 130ms) == 0);
  CHECK(link.Admit(1000, kT0 + 130ms) == kT0 + 130ms);
  CHECK(link.Admit(1000, kT0 + 130ms) == kT0 + 130ms);

  // Capped again from idle: spacing at the new rate from the change on.
  link.SetOptions(Rate(800'000), kT0 + 200ms);
  CHECK(link.Admit(1000, kT0 + 200ms) == kT0 + 210ms);
  CHECK(link.Admit(1000, kT0 + 200ms) == kT0 + 220ms);
}

TEST_CASE("LinkImpairment delay changes at runtime keep the order", "[loadtest][impairment]") {
  LinkImpairment::Options options;
  options.delay = 100ms;
  LinkImpairment link(options);
  CHECK(link.Admit(100, kT0) == kT0 + 100ms);
  options.delay = 20ms;
  link.SetOptions(options, kT0 + 1ms);
  // Not before the packet ahead of it...
  CHECK(link.Admit(100, kT0 + 1ms) == kT0 + 100ms);
  // ...and at the new delay once that one is gone.
  CHECK(link.Admit(100, kT0 + 90ms) == kT0 + 110ms);
}

}  // namespace myriad::loadtest
