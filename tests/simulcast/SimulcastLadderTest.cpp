#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <vector>

#include "simulcast/SimulcastLadder.h"

using myriad::simulcast::SimulcastLadder;
using LevelSpec = SimulcastLadder::LevelSpec;

namespace {
std::vector<LevelSpec> DefaultLevels() {
  const SimulcastLadder ladder = SimulcastLadder::Default();
  return {ladder.Levels().begin(), ladder.Levels().end()};
}

// libwebrtc's VP8 simulcast table (video/config/simulcast.cc): pixels -> (max, target) bps.
struct Row {
  int width;
  int height;
  double maxBps;
  double targetBps;
};
constexpr Row kLibwebrtcRows[] = {
    {1920, 1080, 5'000'000, 4'000'000},
    {1280, 720, 2'500'000, 2'500'000},
    {960, 540, 1'200'000, 1'200'000},
    {640, 360, 700'000, 500'000},
    {480, 270, 450'000, 350'000},
    {320, 180, 200'000, 150'000},
    {0, 0, 0, 0},
};

// libwebrtc's InterpolateSimulcastFormat, linear in pixel count between the enclosing rows.
Row Interpolated(int width, int height) {
  const int pixels = width * height;
  for (size_t i = 1; i < std::size(kLibwebrtcRows); ++i) {
    const Row& up = kLibwebrtcRows[i - 1];
    const Row& down = kLibwebrtcRows[i];
    if (pixels < down.width * down.height) continue;
    if (pixels == up.width * up.height) return up;
    const double rate = double(up.width * up.height - pixels) /
                        double(up.width * up.height - down.width * down.height);
    return {width, height, up.maxBps * (1 - rate) + down.maxBps * rate,
            up.targetBps * (1 - rate) + down.targetBps * rate};
  }
  return kLibwebrtcRows[0];
}
}  // namespace

TEST_CASE("SimulcastLadder::Default has ten 16:9 levels from 90p to 1080p", "[SimulcastLadder]") {
  const SimulcastLadder ladder = SimulcastLadder::Default();
  REQUIRE(ladder.LevelCount() == 10);
  const int heights[] = {90, 180, 270, 360, 450, 540, 630, 720, 900, 1080};
  const int widths[] = {160, 320, 480, 640, 800, 960, 1120, 1280, 1600, 1920};
  for (int i = 0; i < ladder.LevelCount(); ++i) {
    INFO("level " << i);
    CHECK(ladder.Level(i).height == heights[i]);
    CHECK(ladder.Level(i).width == widths[i]);
    CHECK(ladder.Level(i).width % 2 == 0);
    CHECK(ladder.Level(i).maxFramerate == (heights[i] <= 180 ? 15 : 30));
  }
  // It passes its own validation.
  const std::optional<SimulcastLadder> validated = SimulcastLadder::Create(DefaultLevels());
  REQUIRE(validated);
  CHECK(*validated == ladder);
}

TEST_CASE("SimulcastLadder::Default bitrates follow libwebrtc's table and interpolation",
          "[SimulcastLadder]") {
  const SimulcastLadder ladder = SimulcastLadder::Default();
  for (int i = 0; i < ladder.LevelCount(); ++i) {
    const LevelSpec& level = ladder.Level(i);
    const Row expected = Interpolated(level.width, level.height);
    INFO(level.height << "p");
    // Rounded to kbps.
    CHECK(double(level.maxBitrateBps) == Approx(expected.maxBps).margin(500));
    CHECK(double(level.targetBitrateBps) == Approx(expected.targetBps).margin(500));
    CHECK(level.targetBitrateBps <= level.maxBitrateBps);
    if (i > 0) {
      CHECK(level.targetBitrateBps > ladder.Level(i - 1).targetBitrateBps);
      CHECK(level.maxBitrateBps > ladder.Level(i - 1).maxBitrateBps);
    }
  }
  // The table's own rows exactly.
  CHECK(ladder.Level(9).targetBitrateBps == 4'000'000);
  CHECK(ladder.Level(9).maxBitrateBps == 5'000'000);
  CHECK(ladder.Level(3).targetBitrateBps == 500'000);
  CHECK(ladder.Level(3).maxBitrateBps == 700'000);
}

TEST_CASE("SimulcastLadder::Create validates", "[SimulcastLadder]") {
  const LevelSpec low{.height = 180,
                      .width = 320,
                      .targetBitrateBps = 150'000,
                      .maxBitrateBps = 200'000,
                      .maxFramerate = 15};
  const LevelSpec high{.height = 720,
                       .width = 1280,
                       .targetBitrateBps = 2'500'000,
                       .maxBitrateBps = 2'500'000,
                       .maxFramerate = 30};
  const auto with = [](LevelSpec level, auto change) {
    change(level);
    return level;
  };
  std::vector<LevelSpec> eleven = DefaultLevels();
  eleven.push_back(with(high, [](LevelSpec& l) { l.height = 2160; }));

  struct Case {
    const char* name;
    std::vector<LevelSpec> levels;
    bool valid;
  };
  const std::vector<Case> cases = {
      {"one level", {high}, true},
      {"two levels", {low, high}, true},
      {"the default ten", DefaultLevels(), true},
      {"target equal to max",
       {with(low, [](LevelSpec& l) { l.targetBitrateBps = 200'000; })},
       true},
      {"empty", {}, false},
      {"eleven levels", eleven, false},
      {"decreasing heights", {high, low}, false},
      {"equal heights", {low, with(high, [](LevelSpec& l) { l.height = 180; })}, false},
      {"zero height", {with(low, [](LevelSpec& l) { l.height = 0; })}, false},
      {"zero width", {with(low, [](LevelSpec& l) { l.width = 0; })}, false},
      {"zero target bitrate", {with(low, [](LevelSpec& l) { l.targetBitrateBps = 0; })}, false},
      {"zero max bitrate",
       {with(low,
             [](LevelSpec& l) {
               l.targetBitrateBps = 0;
               l.maxBitrateBps = 0;
             })},
       false},
      {"target above max", {with(low, [](LevelSpec& l) { l.targetBitrateBps = 200'001; })}, false},
      {"zero frame rate", {low, with(high, [](LevelSpec& l) { l.maxFramerate = 0; })}, false},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const std::optional<SimulcastLadder> ladder = SimulcastLadder::Create(c.levels);
    CHECK(ladder.has_value() == c.valid);
    if (ladder) {
      CHECK(ladder->LevelCount() == static_cast<int>(c.levels.size()));
      CHECK(std::vector<LevelSpec>(ladder->Levels().begin(), ladder->Levels().end()) == c.levels);
    }
  }
}

TEST_CASE("SimulcastLadder maps heights to levels", "[SimulcastLadder]") {
  const SimulcastLadder ladder = SimulcastLadder::Default();
  struct Case {
    int height;
    int levelForHeight;      // smallest level at least this tall (a tile asks for it)
    int nearestLevelAtMost;  // highest level at most this tall (a source provides it)
  };
  const Case cases[] = {
      {-1, 0, 0},  {0, 0, 0},   {89, 0, 0},   {90, 0, 0},   {91, 1, 0},
      {240, 2, 1}, {360, 3, 3}, {361, 4, 3},  {480, 5, 4},  {719, 7, 6},
      {720, 7, 7}, {721, 8, 7}, {1079, 9, 8}, {1080, 9, 9}, {2160, 9, 9},
  };
  for (const Case& c : cases) {
    INFO("height " << c.height);
    CHECK(ladder.LevelForHeight(c.height) == c.levelForHeight);
    CHECK(ladder.NearestLevelAtMost(c.height) == c.nearestLevelAtMost);
  }

  const std::optional<SimulcastLadder> two = SimulcastLadder::Create(
      {{.height = 180, .width = 320, .targetBitrateBps = 1, .maxBitrateBps = 1, .maxFramerate = 1},
       {.height = 720,
        .width = 1280,
        .targetBitrateBps = 1,
        .maxBitrateBps = 1,
        .maxFramerate = 1}});
  REQUIRE(two);
  CHECK(two->LevelForHeight(360) == 1);
  CHECK(two->NearestLevelAtMost(360) == 0);
  CHECK(two->NearestLevelAtMost(100) == 0);
  CHECK(two->LevelForHeight(1080) == 1);
}
