#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <set>

#include "server/transport/SrtpReplayWindow.h"

using myriad::server::transport::SrtpReplayWindow;

TEST_CASE("replay window accepts new indices once", "[srtp]") {
  SrtpReplayWindow window;
  CHECK(window.Empty());
  CHECK(window.IsNew(500));
  window.Accept(500);
  CHECK_FALSE(window.IsNew(500));
  CHECK(window.IsNew(501));
  CHECK(window.IsNew(499));  // reordered, inside the window
  window.Accept(499);
  CHECK_FALSE(window.IsNew(499));
  CHECK(window.Highest() == 500);
}

TEST_CASE("replay window forgets what slides out and rejects what is too old", "[srtp]") {
  SrtpReplayWindow window;
  window.Accept(2000);
  CHECK(window.IsNew(2000 - SrtpReplayWindow::kSize + 1));
  CHECK_FALSE(window.IsNew(2000 - SrtpReplayWindow::kSize));
  window.Accept(1990);
  // A jump of less than the window keeps 1990 marked and frees the slots
  // of the skipped indices (same bit positions as old ones).
  window.Accept(2000 + 600);
  CHECK_FALSE(window.IsNew(1990));
  CHECK(window.IsNew(2000 + 599));
  CHECK(window.IsNew(2000 + 1));
  // A jump of more than the window forgets everything before it.
  window.Accept(10000);
  CHECK_FALSE(window.IsNew(2600));
  CHECK(window.IsNew(10000 - 1));
  CHECK_FALSE(window.IsNew(10000));
}

TEST_CASE("replay window agrees with a set-based model", "[srtp]") {
  std::mt19937 random(3711);
  SrtpReplayWindow window;
  std::set<uint64_t> received;
  uint64_t highest = 0;
  bool any = false;
  for (int i = 0; i < 20000; ++i) {
    // Mostly forward with jitter, sometimes a jump, sometimes a replay.
    uint64_t index = any ? highest : 100000;
    const auto roll = random() % 100;
    if (roll < 70) {
      index = index + 1 + random() % 3;
    } else if (roll < 90) {
      index = index - std::min<uint64_t>(index, random() % 1200);
    } else if (roll < 95) {
      index = index + random() % 3000;
    }
    const bool modelNew = !any || index > highest ||
                          (highest - index < SrtpReplayWindow::kSize && !received.count(index));
    REQUIRE(window.IsNew(index) == modelNew);
    if (modelNew) {
      window.Accept(index);
      received.insert(index);
      if (!any || index > highest) highest = index;
      any = true;
    }
  }
}
