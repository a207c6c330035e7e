#include "simulcast/SimulcastLadder.h"

#include <algorithm>
#include <cassert>
#include <iterator>

namespace myriad::simulcast {

namespace {
// 16:9 width for `height`, rounded to the nearest even number (encoders want even sizes).
constexpr int WidthFor16By9(int height) { return (height * 16 + 9) / 18 * 2; }

struct DefaultLevel {
  int height;
  uint32_t targetKbps;
  uint32_t maxKbps;
  int maxFramerate;
};

// See SimulcastLadder::Default. libwebrtc's VP8 table gives (max, target) kbps: 1080p (5000,
// 4000), 720p (2500, 2500), 540p (1200, 1200), 360p (700, 500), 270p (450, 350), 180p (200,
// 150), 0x0 (0, 0). A level between two rows at pixel counts up > p > down gets
// row(up) * (1 - r) + row(down) * r with r = (up - p) / (up - down).
constexpr DefaultLevel kDefaultLevels[] = {
    {90, 38, 50, 15},        // r = 0.75 between 180p and 0x0 (37.5 rounded up)
    {180, 150, 200, 15},     // libwebrtc
    {270, 350, 450, 30},     // libwebrtc
    {360, 500, 700, 30},     // libwebrtc
    {450, 815, 925, 30},     // r = 0.55 between 540p and 360p
    {540, 1200, 1200, 30},   // libwebrtc
    {630, 1804, 1804, 30},   // r = 0.536 between 720p and 540p
    {720, 2500, 2500, 30},   // libwebrtc
    {900, 3175, 3625, 30},   // r = 0.55 between 1080p and 720p
    {1080, 4000, 5000, 30},  // libwebrtc
};
static_assert(std::size(kDefaultLevels) <= SimulcastLadder::kMaxLevels);
}  // namespace

SimulcastLadder SimulcastLadder::Default() {
  SimulcastLadder ladder;
  for (const DefaultLevel& level : kDefaultLevels) {
    ladder.levels_[ladder.count_++] = LevelSpec{.height = level.height,
                                                .width = WidthFor16By9(level.height),
                                                .targetBitrateBps = level.targetKbps * 1000,
                                                .maxBitrateBps = level.maxKbps * 1000,
                                                .maxFramerate = level.maxFramerate};
  }
  return ladder;
}

std::optional<SimulcastLadder> SimulcastLadder::Create(const std::vector<LevelSpec>& levels) {
  if (levels.empty() || levels.size() > kMaxLevels) return std::nullopt;
  SimulcastLadder ladder;
  int previousHeight = 0;
  for (const LevelSpec& level : levels) {
    if (level.height <= previousHeight || level.width <= 0 || level.maxFramerate <= 0 ||
        level.targetBitrateBps == 0 || level.maxBitrateBps == 0 ||
        level.targetBitrateBps > level.maxBitrateBps) {
      return std::nullopt;
    }
    previousHeight = level.height;
    ladder.levels_[ladder.count_++] = level;
  }
  return ladder;
}

const SimulcastLadder::LevelSpec& SimulcastLadder::Level(int index) const {
  assert(index >= 0 && index < count_);
  return levels_[std::clamp(index, 0, count_ - 1)];
}

int SimulcastLadder::LevelForHeight(int height) const {
  for (int i = 0; i < count_; ++i) {
    if (levels_[i].height >= height) return i;
  }
  return count_ - 1;
}

int SimulcastLadder::NearestLevelAtMost(int height) const {
  for (int i = count_ - 1; i > 0; --i) {
    if (levels_[i].height <= height) return i;
  }
  return 0;
}

bool SimulcastLadder::operator==(const SimulcastLadder& other) const {
  return std::ranges::equal(Levels(), other.Levels());
}

}  // namespace myriad::simulcast
