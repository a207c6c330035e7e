#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace myriad::simulcast {

// The resolution levels subscribers may ask for (issue 4: "ten-level simulcast aggregated into
// four encoded tiers"): up to kMaxLevels levels in strictly increasing height. A level is named
// by its index, 0 = the smallest. TierPlanner picks which levels a publisher actually encodes.
//
// A small value type (fixed storage, no allocation after construction): copy it freely.
class SimulcastLadder {
 public:
  static constexpr int kMaxLevels = 10;

  // What a publisher encodes for one level (the fields of an RTCRtpEncodingParameters).
  struct LevelSpec {
    int height = 0;
    int width = 0;
    uint32_t targetBitrateBps = 0;  // while a higher tier is also sent
    uint32_t maxBitrateBps = 0;     // when this is the highest tier sent
    int maxFramerate = 0;

    bool operator==(const LevelSpec&) const = default;
  };

  // 90p, 180p, 270p, 360p, 450p, 540p, 630p, 720p, 900p, 1080p at 16:9. Bitrates are libwebrtc's
  // VP8 simulcast table (video/config/simulcast.cc, kSimulcastFormats) at 180p, 270p, 360p, 540p,
  // 720p and 1080p, and libwebrtc's own interpolation by pixel count for the levels in between
  // (90p with its "LowresSimulcastBitrateInterpolation" towards 0 at 0x0), rounded to kbps.
  // 90p and 180p run at 15 fps: they serve 5x5..7x7 grids, where a viewer decodes up to 49
  // tiles and motion is hard to see anyway, and at 40-150 kbps 15 fps leaves twice the bits per
  // frame; everything else at 30 fps.
  static SimulcastLadder Default();

  // Validates a ladder (from configuration): 1..kMaxLevels levels, heights strictly increasing
  // and positive, widths and frame rates positive, bitrates non-zero, target <= max. Empty on
  // any violation.
  static std::optional<SimulcastLadder> Create(const std::vector<LevelSpec>& levels);

  int LevelCount() const { return count_; }
  // `index` must be in [0, LevelCount()).
  const LevelSpec& Level(int index) const;
  std::span<const LevelSpec> Levels() const {
    return {levels_.data(), static_cast<size_t>(count_)};
  }

  // The smallest level at least `height` tall: what a tile `height` pixels tall should ask for.
  // Above the top level: the top level.
  int LevelForHeight(int height) const;
  // The highest level at most `height` tall: the best a source `height` pixels tall can provide.
  // Below the lowest level: level 0 (the source is then sent at its own, smaller size).
  int NearestLevelAtMost(int height) const;

  bool operator==(const SimulcastLadder& other) const;

 private:
  SimulcastLadder() = default;

  std::array<LevelSpec, kMaxLevels> levels_{};
  int count_ = 0;
};

}  // namespace myriad::simulcast
