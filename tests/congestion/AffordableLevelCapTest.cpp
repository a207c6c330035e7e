#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <vector>

#include "congestion/AffordableLevelCap.h"
#include "simulcast/SimulcastLadder.h"

using myriad::congestion::AffordableLevelCap;
using myriad::simulcast::SimulcastLadder;

namespace {

// Default ladder levels (targets in kbit/s): 0 = 90p (target 38 kbit/s), 1 = 180p (150), 2 = 270p
// (350), 3 = 360p (500), 4 = 450p (815), 5 = 540p (1200), 6 = 630p (1804), 7 = 720p (2500), 8 =
// 900p (3175), 9 = 1080p (4000).
constexpr int k360p = 3;
constexpr int k450p = 4;
constexpr int k540p = 5;
constexpr int k720p = 7;
constexpr int64_t kRoundMs = 250;

// Rounds every kRoundMs from `fromMs` up to and including `toMs` with the same input; returns
// the demand of each round.
std::vector<int> Run(AffordableLevelCap& cap, const SimulcastLadder& ladder,
                     const AffordableLevelCap::Input& input, int64_t fromMs, int64_t toMs) {
  std::vector<int> demands;
  for (int64_t now = fromMs; now <= toMs; now += kRoundMs) {
    demands.push_back(cap.Update(ladder, input, now));
  }
  return demands;
}

}  // namespace

TEST_CASE("AffordableLevelCap: the fit is the highest level whose half target the budget covers",
          "[congestion][AffordableLevelCap]") {
  const auto ladder = SimulcastLadder::Default();
  struct Row {
    int maxLevel;
    uint32_t budgetBps;
    int fit;
  };
  const std::vector<Row> rows = {
      // A 720p tile: candidates 720p, 540p, 360p, 180p (and 90p when nothing fits).
      {k720p, 0, 0},              // nothing fits: the lowest level (the allocator pauses)
      {k720p, 74'999, 0},         // 180p needs 75 kbit/s
      {k720p, 75'000, 1},         //
      {k720p, 249'999, 1},        // 360p needs 250 kbit/s (270p is no candidate)
      {k720p, 250'000, k360p},    //
      {k720p, 599'999, k360p},    // 540p needs 600 kbit/s (450p is no candidate)
      {k720p, 600'000, k540p},    //
      {k720p, 1'249'999, k540p},  // 720p needs 1.25 Mbit/s (630p is no candidate)
      {k720p, 1'250'000, k720p},  //
      {k720p, 9'000'000, k720p},  // never above the layout's level
      // A 450p tile: 450p, 360p, 180p.
      {k450p, 407'500, k450p},  // 450p needs 407.5 kbit/s
      {k450p, 407'499, k360p},  //
      {3, 9'000'000, 3},        //
      // 1080p: 1080p (2 Mbit/s), 720p, 540p...
      {42, 9'000'000, 9},     // a level above the ladder means its top
      {9, 1'999'999, k720p},  //
      {-1, 9'000'000, 0},     //
  };
  for (const auto& row : rows) {
    INFO("max level " << row.maxLevel << ", budget " << row.budgetBps);
    CHECK(AffordableLevelCap::FitLevel(ladder, row.maxLevel, row.budgetBps) == row.fit);
  }
}

TEST_CASE("AffordableLevelCap: a subscription the allocator keeps on its tier is never capped",
          "[congestion][AffordableLevelCap]") {
  const auto ladder = SimulcastLadder::Default();
  AffordableLevelCap cap;
  // 720p held at a quarter of its rate: the allocator keeps it, so the plan must too.
  const auto demands = Run(cap, ladder, {k720p, 700'000, false}, 0, 20'000);
  for (const int demand : demands) CHECK(demand == k720p);
  CHECK_FALSE(cap.Cap().has_value());
}

TEST_CASE("AffordableLevelCap: a limited subscription asks for the fitting level after the hold",
          "[congestion][AffordableLevelCap]") {
  const auto ladder = SimulcastLadder::Default();
  AffordableLevelCap cap(AffordableLevelCap::Options{.downHoldMs = 1500, .upHoldMs = 3000});
  // Behind 500 kbit/s: the budget covers 360p, not the 720p tile.
  const AffordableLevelCap::Input limited{k720p, 450'000, true};
  // Held for 1250 ms: still 720p.
  for (const int demand : Run(cap, ladder, limited, 0, 1250)) CHECK(demand == k720p);
  // A round in which the allocator could fit the tier after all restarts the hold.
  CHECK(cap.Update(ladder, {k720p, 450'000, false}, 1500) == k720p);
  for (const int demand : Run(cap, ladder, limited, 1750, 3000)) CHECK(demand == k720p);
  // 1500 ms of limited rounds since 1750.
  CHECK(cap.Update(ladder, limited, 3250) == k360p);
  REQUIRE(cap.Cap() == k360p);
  // Now the plan serves 450p and the allocator fits it: nothing changes any more.
  for (const int demand : Run(cap, ladder, {k720p, 450'000, false}, 3500, 20'000)) {
    CHECK(demand == k360p);
  }
}

TEST_CASE("AffordableLevelCap: down takes the highest fit seen during the hold",
          "[congestion][AffordableLevelCap]") {
  const auto ladder = SimulcastLadder::Default();
  AffordableLevelCap cap(AffordableLevelCap::Options{.downHoldMs = 1000, .upHoldMs = 3000});
  // A dip to nothing in one round does not make the demand the lowest level.
  CHECK(cap.Update(ladder, {k720p, 600'000, true}, 0) == k720p);
  CHECK(cap.Update(ladder, {k720p, 10'000, true}, 250) == k720p);
  CHECK(cap.Update(ladder, {k720p, 450'000, true}, 500) == k720p);
  CHECK(cap.Update(ladder, {k720p, 450'000, true}, 750) == k720p);
  CHECK(cap.Update(ladder, {k720p, 450'000, true}, 1000) == k540p);
}

TEST_CASE("AffordableLevelCap: the cap rises to the lowest fit held for the up hold, then goes",
          "[congestion][AffordableLevelCap]") {
  const auto ladder = SimulcastLadder::Default();
  AffordableLevelCap cap(AffordableLevelCap::Options{.downHoldMs = 1000, .upHoldMs = 3000});
  Run(cap, ladder, {k720p, 450'000, true}, 0, 1000);
  REQUIRE(cap.Cap() == k360p);

  // The link got faster: 540p fits, then for one round even 720p.
  for (const int demand : Run(cap, ladder, {k720p, 700'000, false}, 1250, 2500)) {
    CHECK(demand == k360p);
  }
  CHECK(cap.Update(ladder, {k720p, 2'000'000, false}, 2750) == k360p);
  // An estimate back at the cap restarts the hold.
  CHECK(cap.Update(ladder, {k720p, 450'000, false}, 3000) == k360p);
  for (const int demand : Run(cap, ladder, {k720p, 2'000'000, false}, 3250, 6000)) {
    CHECK(demand == k360p);
  }
  // Three seconds of room for 720p: the cap goes, the layout's level is asked for again.
  CHECK(cap.Update(ladder, {k720p, 700'000, false}, 6250) == k540p);
  REQUIRE(cap.Cap() == k540p);
  Run(cap, ladder, {k720p, 2'000'000, false}, 6500, 9250);
  CHECK(cap.Update(ladder, {k720p, 2'000'000, false}, 9500) == k720p);
  CHECK_FALSE(cap.Cap().has_value());
}

TEST_CASE(
    "AffordableLevelCap: the layout's level bounds the demand, and a smaller one ends the cap",
    "[congestion][AffordableLevelCap]") {
  const auto ladder = SimulcastLadder::Default();
  AffordableLevelCap cap(AffordableLevelCap::Options{.downHoldMs = 1000, .upHoldMs = 3000});
  Run(cap, ladder, {k720p, 450'000, true}, 0, 1000);
  REQUIRE(cap.Cap() == k360p);
  // The tile grew to 1080p: still capped.
  CHECK(cap.Update(ladder, {9, 450'000, false}, 1250) == k360p);
  // It shrank to 180p: below the cap, which ends; the layout's level is asked for.
  CHECK(cap.Update(ladder, {1, 450'000, false}, 1500) == 1);
  CHECK_FALSE(cap.Cap().has_value());
  CHECK(cap.Update(ladder, {k720p, 2'000'000, false}, 1750) == k720p);
  // No cap: the layout's level goes through as given (the planner bounds it).
  CHECK(cap.Update(ladder, {42, 2'000'000, false}, 2000) == 42);
}

TEST_CASE("AffordableLevelCap: a cap in force is lowered further only after the longer hold",
          "[congestion][AffordableLevelCap]") {
  const auto ladder = SimulcastLadder::Default();
  AffordableLevelCap cap(
      AffordableLevelCap::Options{.downHoldMs = 1000, .furtherDownHoldMs = 5000, .upHoldMs = 3000});
  Run(cap, ladder, {k720p, 450'000, true}, 0, 1000);
  REQUIRE(cap.Cap() == k360p);
  // The estimate dips to 200 kbit/s (180p fits) for 4.75 s: the cap holds.
  for (const int demand : Run(cap, ladder, {k720p, 200'000, true}, 1250, 6000)) {
    CHECK(demand == k360p);
  }
  // One round the allocator fits the tier again: the hold restarts.
  CHECK(cap.Update(ladder, {k720p, 200'000, false}, 6250) == k360p);
  for (const int demand : Run(cap, ladder, {k720p, 200'000, true}, 6500, 11250)) {
    CHECK(demand == k360p);
  }
  // Five seconds limited since 6500.
  CHECK(cap.Update(ladder, {k720p, 200'000, true}, 11500) == 1);
}
