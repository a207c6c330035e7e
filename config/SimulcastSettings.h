#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "simulcast/LayerSelector.h"
#include "simulcast/SimulcastLadder.h"
#include "simulcast/TierPlanner.h"

namespace myriad::config {

// A key of one simulcast.ladder entry (one level). The loader checks entries and
// ServerConfig::ToJson writes them through this one list. Bitrates are configured in kbps (the
// unit of libwebrtc's tables and of an operator's intuition) and held in bps.
struct SimulcastLevelField {
  std::string_view key;  // "target_kbps"
  std::int64_t minimum;
  std::int64_t maximum;
  std::int64_t (*get)(const simulcast::SimulcastLadder::LevelSpec&);
  void (*set)(simulcast::SimulcastLadder::LevelSpec&, std::int64_t);
};

// Config section "simulcast" (docs/protocol.md "Simulcast tiers"): the ladder of video levels
// and the timing of the per-track tier planner and the per-subscriber layer selectors. The
// scalars are rows of ConfigOptionTable; the ladder is the section's one key outside the table
// (an array, set only in the config file).
struct SimulcastSettings {
  static constexpr std::string_view kSection = "simulcast";
  static constexpr std::string_view kLadderKey = "ladder";

  simulcast::SimulcastLadder ladder = simulcast::SimulcastLadder::Default();
  // TierPlanner::Options.
  std::int64_t debounceMs = 300;
  std::int64_t maxDelayMs = 1000;
  int hysteresisSubscribers = 1;
  // LayerSelector::Options.
  std::int64_t keyFrameRetryMs = 500;
  std::int64_t staleAfterMs = 1000;

  simulcast::TierPlanner::Options PlannerOptions() const;
  simulcast::LayerSelector::Options SelectorOptions() const;

  // height, width, target_kbps, max_kbps, max_fps: every key a ladder entry must set.
  static std::span<const SimulcastLevelField> LevelFields();

  bool operator==(const SimulcastSettings&) const = default;
};

}  // namespace myriad::config
