#include "config/SimulcastSettings.h"

#include <array>

namespace myriad::config {

namespace {

using LevelSpec = simulcast::SimulcastLadder::LevelSpec;

// RFC 6386 section 9.1: a VP8 key frame codes width and height in 14 bits each.
constexpr std::int64_t kMaxDimension = 16383;
// 1 Gbit/s: far above any camera, and the bps value still fits LevelSpec's uint32_t.
constexpr std::int64_t kMaxKbps = 1000000;
constexpr std::int64_t kMaxFramerate = 240;
constexpr std::int64_t kBpsPerKbps = 1000;

// The loader range-checks against [minimum, maximum] before calling `set`, so the casts cannot
// truncate.
constexpr std::array kLevelFields{
    SimulcastLevelField{
        "height", 1, kMaxDimension,
        [](const LevelSpec& level) -> std::int64_t { return level.height; },
        [](LevelSpec& level, std::int64_t value) { level.height = static_cast<int>(value); }},
    SimulcastLevelField{
        "width", 1, kMaxDimension,
        [](const LevelSpec& level) -> std::int64_t { return level.width; },
        [](LevelSpec& level, std::int64_t value) { level.width = static_cast<int>(value); }},
    SimulcastLevelField{
        "target_kbps", 1, kMaxKbps,
        [](const LevelSpec& level) -> std::int64_t { return level.targetBitrateBps / kBpsPerKbps; },
        [](LevelSpec& level, std::int64_t value) {
          level.targetBitrateBps = static_cast<std::uint32_t>(value * kBpsPerKbps);
        }},
    SimulcastLevelField{
        "max_kbps", 1, kMaxKbps,
        [](const LevelSpec& level) -> std::int64_t { return level.maxBitrateBps / kBpsPerKbps; },
        [](LevelSpec& level, std::int64_t value) {
          level.maxBitrateBps = static_cast<std::uint32_t>(value * kBpsPerKbps);
        }},
    SimulcastLevelField{
        "max_fps", 1, kMaxFramerate,
        [](const LevelSpec& level) -> std::int64_t { return level.maxFramerate; },
        [](LevelSpec& level, std::int64_t value) { level.maxFramerate = static_cast<int>(value); }},
};

}  // namespace

simulcast::TierPlanner::Options SimulcastSettings::PlannerOptions() const {
  return {.debounceMs = debounceMs,
          .maxDelayMs = maxDelayMs,
          .hysteresisSubscribers = hysteresisSubscribers};
}

simulcast::LayerSelector::Options SimulcastSettings::SelectorOptions() const {
  return {.staleAfterMs = staleAfterMs, .keyFrameRetryMs = keyFrameRetryMs};
}

std::span<const SimulcastLevelField> SimulcastSettings::LevelFields() { return kLevelFields; }

}  // namespace myriad::config
