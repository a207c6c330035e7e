#include <catch2/catch.hpp>
#include <limits>
#include <set>
#include <string>

#include "config/SimulcastSettings.h"

using myriad::config::SimulcastLevelField;
using myriad::config::SimulcastSettings;
using myriad::simulcast::LayerSelector;
using myriad::simulcast::SimulcastLadder;
using myriad::simulcast::TierPlanner;
using LevelSpec = SimulcastLadder::LevelSpec;

TEST_CASE("SimulcastSettings defaults are the simulcast library's defaults", "[config]") {
  const SimulcastSettings settings;
  CHECK(settings.ladder == SimulcastLadder::Default());

  const TierPlanner::Options planner = settings.PlannerOptions();
  const TierPlanner::Options plannerDefaults;
  CHECK(planner.debounceMs == plannerDefaults.debounceMs);
  CHECK(planner.maxDelayMs == plannerDefaults.maxDelayMs);
  CHECK(planner.hysteresisSubscribers == plannerDefaults.hysteresisSubscribers);

  const LayerSelector::Options selector = settings.SelectorOptions();
  const LayerSelector::Options selectorDefaults;
  CHECK(selector.staleAfterMs == selectorDefaults.staleAfterMs);
  CHECK(selector.keyFrameRetryMs == selectorDefaults.keyFrameRetryMs);
}

TEST_CASE("SimulcastSettings hands each value to its own planner or selector option", "[config]") {
  SimulcastSettings settings;
  settings.debounceMs = 11;
  settings.maxDelayMs = 22;
  settings.hysteresisSubscribers = 33;
  settings.keyFrameRetryMs = 44;
  settings.staleAfterMs = 55;

  const TierPlanner::Options planner = settings.PlannerOptions();
  CHECK(planner.debounceMs == 11);
  CHECK(planner.maxDelayMs == 22);
  CHECK(planner.hysteresisSubscribers == 33);
  const LayerSelector::Options selector = settings.SelectorOptions();
  CHECK(selector.keyFrameRetryMs == 44);
  CHECK(selector.staleAfterMs == 55);
}

TEST_CASE("Ladder level fields are unique and each targets its own LevelSpec member", "[config]") {
  // kbps in the config, bps in the LevelSpec.
  const LevelSpec expected{
      .height = 1, .width = 2, .targetBitrateBps = 3000, .maxBitrateBps = 4000, .maxFramerate = 5};
  LevelSpec level;
  std::set<std::string> keys;
  std::int64_t value = 1;
  for (const SimulcastLevelField& field : SimulcastSettings::LevelFields()) {
    INFO(field.key);
    CHECK(keys.insert(std::string(field.key)).second);
    field.set(level, value);
    CHECK(field.get(level) == value);
    ++value;
  }
  CHECK(keys == std::set<std::string>{"height", "width", "target_kbps", "max_kbps", "max_fps"});
  CHECK(level == expected);
}

TEST_CASE("Ladder level fields hold both ends of their range without truncation", "[config]") {
  // Catches a range wider than the LevelSpec member, e.g. kbps whose bps overflow uint32_t.
  for (const SimulcastLevelField& field : SimulcastSettings::LevelFields()) {
    INFO(field.key);
    CHECK(field.minimum == 1);  // SimulcastLadder::Create wants every value positive
    CHECK(field.minimum <= field.maximum);
    LevelSpec level;
    field.set(level, field.minimum);
    CHECK(field.get(level) == field.minimum);
    field.set(level, field.maximum);
    CHECK(field.get(level) == field.maximum);
  }
}
