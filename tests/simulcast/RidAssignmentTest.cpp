#include <catch2/catch.hpp>

#include "simulcast/RidAssignment.h"

namespace myriad::simulcast {
namespace {
constexpr int P = RidAssignment::kPaused;
}  // namespace

TEST_CASE("RidAssignment keeps surviving levels on their rids, in ascending order") {
  struct Case {
    const char* name;
    std::vector<int> previous;
    std::vector<int> levels;
    std::vector<int> expected;
  };
  // Levels are ladder indexes: 1 = 180p, 3 = 360p, 5 = 540p, 7 = 720p.
  const std::vector<Case> cases = {
      {"first plan fills the lowest rids", {P, P, P}, {1, 3, 7}, {1, 3, 7}},
      {"first plan with fewer levels", {P, P, P}, {3, 7}, {3, 7, P}},
      {"the lowest level goes: its rid pauses, the others stay", {1, 3, 7}, {3, 7}, {P, 3, 7}},
      {"the middle level goes", {1, 3, 7}, {1, 7}, {1, P, 7}},
      {"the top level goes", {1, 3, 7}, {1, 3}, {1, 3, P}},
      {"a new level between two kept ones takes a paused rid in order",
       {1, P, 7},
       {1, 3, 7},
       {1, 3, 7}},
      {"a new top level resumes the free top rid", {1, 3, P}, {1, 3, 7}, {1, 3, 7}},
      {"a new level that cannot fit in order moves the fewest", {P, 3, 7}, {1, 5, 7}, {1, 5, 7}},
      {"one level swapped for another, the rest kept", {1, 3, 7}, {1, 5, 7}, {1, 5, 7}},
      {"three levels on three rids leave no choice", {P, 1, 3}, {1, 3, 5}, {1, 3, 5}},
      {"nothing planned: all paused", {1, 3, 7}, {}, {P, P, P}},
      {"from nothing to one level", {P, P, P}, {7}, {7, P, P}},
      {"one level stays on its rid", {P, P, 7}, {7}, {P, P, 7}},
      {"a level below a kept top one takes the lowest free rid", {P, P, 7}, {3, 7}, {3, P, 7}},
      {"more levels than rids: the lowest are placed", {P, P}, {1, 3, 7}, {1, 3}},
      {"four rids", {1, 3, 5, 7}, {3, 7}, {P, 3, P, 7}},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    CHECK(RidAssignment::Assign(c.previous, c.levels) == c.expected);
  }
}

TEST_CASE("RidAssignment without history puts levels on the rids negotiated at their size") {
  struct Case {
    const char* name;
    std::vector<int> previous;
    std::vector<int> levels;
    std::vector<int> expected;
  };
  // A 720p capture negotiated as q, h, f at a quarter, half and full size.
  const std::vector<int> nominal = {1, 3, 7};
  const std::vector<Case> cases = {
      // A subscriber that was there before the publisher: its one 720p tier
      // stays on f instead of resizing q (Chromium then sent nothing).
      {"a first plan of one 720p tier uses f", {P, P, P}, {7}, {P, P, 7}},
      {"a first plan of 360p and 720p uses h and f", {P, P, P}, {3, 7}, {P, 3, 7}},
      {"a first plan of 180p and 720p uses q and f", {P, P, P}, {1, 7}, {1, P, 7}},
      {"a level between two nominal ones: equal distance, the lower rid",
       {P, P, P},
       {5},
       {P, 5, P}},
      {"a first plan of three levels leaves no choice", {P, P, P}, {1, 3, 7}, {1, 3, 7}},
      // History comes first: a level keeps its rid even off its nominal size.
      {"a kept level is not moved back", {7, P, P}, {7}, {7, P, P}},
      {"keeping a level beats a nominal placement", {P, 7, P}, {3, 7}, {3, 7, P}},
      {"of equal toggles the nominal placement", {P, P, 7}, {1, 7}, {1, P, 7}},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    CHECK(RidAssignment::Assign(c.previous, c.levels, nominal) == c.expected);
  }
  // Without nominal levels, the lowest rids (the first plan's old behaviour).
  CHECK(RidAssignment::Assign({P, P, P}, {7}) == std::vector<int>{7, P, P});
}

TEST_CASE("RidAssignment results are always in ascending order") {
  // Exhaustive over small inputs: every assignment is order-preserving and
  // places min(levels, rids) levels.
  const std::vector<std::vector<int>> previouses = {{P, P, P}, {1, 3, 7}, {P, 3, P},
                                                    {7, P, P}, {P, P, 1}, {2, P, 9}};
  const std::vector<std::vector<int>> plans = {{}, {0}, {4}, {9}, {1, 2}, {3, 8}, {0, 5, 9}};
  for (const auto& previous : previouses) {
    for (const auto& levels : plans) {
      const auto result = RidAssignment::Assign(previous, levels);
      REQUIRE(result.size() == previous.size());
      std::vector<int> placed;
      for (const int level : result) {
        if (level != P) placed.push_back(level);
      }
      CHECK(placed == levels);
    }
  }
}

}  // namespace myriad::simulcast
