#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "simulcast/SimulcastLadder.h"
#include "simulcast/TierPlan.h"
#include "simulcast/TierPlanner.h"

using myriad::simulcast::SimulcastLadder;
using myriad::simulcast::TierPlan;
using myriad::simulcast::TierPlanner;
using SubscriberId = TierPlanner::SubscriberId;
using Levels = std::vector<int>;

namespace {
// Positions in SimulcastLadder::Default().
constexpr int k90p = 0;
constexpr int k180p = 1;
constexpr int k270p = 2;
constexpr int k360p = 3;
constexpr int k450p = 4;
constexpr int k540p = 5;
constexpr int k630p = 6;
constexpr int k720p = 7;
constexpr int k900p = 8;
constexpr int k1080p = 9;
constexpr int kNoTier = TierPlanner::kNoTier;

TierPlanner MakePlanner(int budget, TierPlanner::Options options = {}) {
  TierPlanner planner(SimulcastLadder::Default(), options);
  planner.SetTierBudget(budget);
  return planner;
}

// Subscribers first .. first + count - 1 ask for `level`.
void Want(TierPlanner& planner, SubscriberId first, int count, int level, int64_t nowMs) {
  for (int i = 0; i < count; ++i) planner.SetDemand(first + i, level, nowMs);
}

// (level, subscribers) pairs; ids are handed out from 1.
using Demand = std::vector<std::pair<int, int>>;
void Want(TierPlanner& planner, const Demand& demand, int64_t nowMs) {
  SubscriberId next = 1;
  for (const auto& [level, count] : demand) {
    Want(planner, next, count, level, nowMs);
    next += count;
  }
}

Levels Encoded(const TierPlanner& planner) { return planner.Current().levels; }

// Calls Update every `stepMs` over [fromMs, toMs] and counts the plans it returns, with
// `oscillator` asking for `a` and `b` in turn every 100 ms (b first).
int CountPlanChanges(TierPlanner& planner, SubscriberId oscillator, int a, int b, int64_t fromMs,
                     int64_t toMs) {
  int changes = 0;
  for (int64_t t = fromMs; t <= toMs; t += 20) {
    if (t % 100 == 0) planner.SetDemand(oscillator, (t / 100) % 2 == 0 ? a : b, t);
    if (planner.Update(t)) ++changes;
  }
  return changes;
}

// The plan by the rules without history: the `budget` heaviest levels (ties to the higher),
// every level served by the nearest tier (ties to the lower).
TierPlan ReferencePlan(const std::map<SubscriberId, int>& requests, int budget, int source) {
  std::vector<int> weights(10, 0);
  for (const auto& [id, level] : requests) ++weights[std::min(level, source)];
  std::vector<int> byWeight(10);
  std::iota(byWeight.begin(), byWeight.end(), 0);
  std::sort(byWeight.begin(), byWeight.end(),
            [&](int a, int b) { return std::pair(weights[a], a) > std::pair(weights[b], b); });
  TierPlan plan;
  for (int i = 0; i < budget && weights[byWeight[i]] > 0; ++i) plan.levels.push_back(byWeight[i]);
  std::sort(plan.levels.begin(), plan.levels.end());
  plan.tierForLevel.assign(10, kNoTier);
  for (int level = 0; level < 10; ++level) {
    int best = kNoTier;
    for (int tier = 0; tier < static_cast<int>(plan.levels.size()); ++tier) {
      const int wanted = std::min(level, source);
      if (best == kNoTier ||
          std::abs(plan.levels[tier] - wanted) < std::abs(plan.levels[best] - wanted)) {
        best = tier;
      }
    }
    plan.tierForLevel[level] = best;
  }
  return plan;
}
}  // namespace

TEST_CASE("TierPlanner starts with an empty plan", "[TierPlanner]") {
  TierPlanner planner(SimulcastLadder::Default(), {});
  CHECK(Encoded(planner).empty());
  CHECK(planner.Current().tierForLevel == Levels(10, kNoTier));
  CHECK(planner.Current().version == 0);
  CHECK(planner.TierBudget() == TierPlanner::kMaxTiers);
  CHECK(planner.SourceLevel() == k1080p);
  CHECK_FALSE(planner.Update(0));
  CHECK(planner.TierForSubscriber(1) == kNoTier);
  CHECK_FALSE(planner.LevelForSubscriber(1));
}

TEST_CASE("TierPlanner encodes the most wanted levels and merges the rest", "[TierPlanner]") {
  struct Case {
    int budget;
    Levels encoded;
    int levelFor90p;  // what the 90p subscriber receives
    int levelFor1080p;
  };
  // 5 want 540p, 1 wants 1080p, 1 wants 90p.
  const Case cases[] = {
      {4, {k90p, k540p, k1080p}, k90p, k1080p},
      {3, {k90p, k540p, k1080p}, k90p, k1080p},
      {2, {k540p, k1080p}, k540p, k1080p},  // 90p and 1080p weigh 1 each: the higher wins
      {1, {k540p}, k540p, k540p},
  };
  for (const Case& c : cases) {
    INFO("budget " << c.budget);
    TierPlanner planner = MakePlanner(c.budget);
    Want(planner, 1, 5, k540p, 0);
    planner.SetDemand(10, k1080p, 0);
    planner.SetDemand(20, k90p, 0);
    const std::optional<TierPlan> plan = planner.Update(0);
    REQUIRE(plan);
    CHECK(plan->levels == c.encoded);
    CHECK(plan->version == 1);
    CHECK(Encoded(planner) == c.encoded);
    for (SubscriberId id = 1; id <= 5; ++id) CHECK(planner.LevelForSubscriber(id) == k540p);
    CHECK(planner.LevelForSubscriber(20) == c.levelFor90p);
    CHECK(planner.LevelForSubscriber(10) == c.levelFor1080p);
    CHECK(plan->levels[planner.TierForSubscriber(20)] == c.levelFor90p);
    CHECK_FALSE(planner.Update(5000));  // nothing changed since
  }
}

TEST_CASE("TierPlanner ranks levels by weight, ties to the higher level", "[TierPlanner]") {
  struct Case {
    const char* name;
    int budget;
    Demand demand;
    Levels encoded;
  };
  const Case cases[] = {
      {"heaviest first", 2, {{k180p, 3}, {k360p, 2}, {k720p, 2}}, {k180p, k720p}},
      {"tie", 1, {{k360p, 2}, {k720p, 2}}, {k720p}},
      {"all weigh one",
       3,
       {{k90p, 1}, {k270p, 1}, {k900p, 1}, {k1080p, 1}},
       {k270p, k900p, k1080p}},
      {"weight beats height", 1, {{k90p, 2}, {k1080p, 1}}, {k90p}},
      {"fewer levels than the budget", 4, {{k450p, 1}, {k630p, 9}}, {k450p, k630p}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    TierPlanner planner = MakePlanner(c.budget);
    Want(planner, c.demand, 0);
    planner.Update(0);
    CHECK(Encoded(planner) == c.encoded);
  }
}

TEST_CASE("TierPlanner serves every level from the nearest tier, ties to the lower",
          "[TierPlanner]") {
  struct Case {
    const char* name;
    int budget;
    Demand demand;
    Levels encoded;
    Levels tierForLevel;
  };
  const Case cases[] = {
      {"two tiers, 450p halfway",
       2,
       {{k270p, 3}, {k630p, 3}},
       {k270p, k630p},
       {0, 0, 0, 0, 0, 1, 1, 1, 1, 1}},
      {"three tiers, 360p halfway",
       3,
       {{k180p, 3}, {k540p, 3}, {k900p, 3}},
       {k180p, k540p, k900p},
       {0, 0, 0, 0, 1, 1, 1, 2, 2, 2}},
      {"one tier serves all", 1, {{k450p, 1}}, {k450p}, Levels(10, 0)},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    TierPlanner planner = MakePlanner(c.budget);
    Want(planner, c.demand, 0);
    REQUIRE(planner.Update(0));
    CHECK(Encoded(planner) == c.encoded);
    CHECK(planner.Current().tierForLevel == c.tierForLevel);
  }

  // A new request is served from the current plan at once, before any re-plan; one subscriber at
  // 450p does not outweigh a tier of 3.
  TierPlanner planner = MakePlanner(2);
  Want(planner, {{k270p, 3}, {k630p, 3}}, 0);
  planner.Update(0);
  planner.SetDemand(100, k450p, 1000);
  CHECK(planner.LevelForSubscriber(100) == k270p);
  planner.SetDemand(100, k540p, 1010);
  CHECK(planner.LevelForSubscriber(100) == k630p);
  CHECK_FALSE(planner.Update(5000));
}

TEST_CASE("TierPlanner never plans above the source level", "[TierPlanner]") {
  const SimulcastLadder ladder = SimulcastLadder::Default();
  TierPlanner planner(ladder, {});
  planner.SetSourceLevel(ladder.NearestLevelAtMost(720));
  REQUIRE(planner.SourceLevel() == k720p);
  Want(planner, 1, 3, k1080p, 0);
  Want(planner, 10, 2, k900p, 0);
  planner.SetDemand(20, k360p, 0);
  REQUIRE(planner.Update(0));
  // 1080p and 900p requests count as 720p ones.
  CHECK(Encoded(planner) == Levels{k360p, k720p});
  CHECK(planner.LevelForSubscriber(1) == k720p);
  CHECK(planner.LevelForSubscriber(10) == k720p);
  CHECK(planner.Current().tierForLevel[k900p] == 1);
  CHECK(planner.Current().tierForLevel[k1080p] == 1);

  // Random demand, budget and source: the plan stays within both.
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    TierPlanner random(ladder, {});
    const int source = std::uniform_int_distribution<int>(0, 9)(rng);
    const int budget = std::uniform_int_distribution<int>(1, 4)(rng);
    random.SetSourceLevel(source);
    random.SetTierBudget(budget);
    const int subscribers = std::uniform_int_distribution<int>(1, 40)(rng);
    for (int id = 0; id < subscribers; ++id) {
      random.SetDemand(id, std::uniform_int_distribution<int>(0, 9)(rng), 0);
    }
    random.Update(0);
    const Levels& levels = random.Current().levels;
    INFO("round " << round);
    REQUIRE_FALSE(levels.empty());
    CHECK(static_cast<int>(levels.size()) <= budget);
    CHECK(std::is_sorted(levels.begin(), levels.end()));
    CHECK(levels.back() <= source);
  }
}

TEST_CASE("TierPlanner re-plans at once when the source or the budget changes", "[TierPlanner]") {
  TierPlanner planner = MakePlanner(4);
  Want(planner, 1, 3, k540p, 0);
  Want(planner, 10, 2, k1080p, 0);
  planner.SetDemand(20, k90p, 0);
  REQUIRE(planner.Update(0));
  REQUIRE(Encoded(planner) == Levels{k90p, k540p, k1080p});

  struct Step {
    const char* name;
    int budget;
    int source;
    Levels encoded;
  };
  const Step steps[] = {
      {"source lowered to 720p", 4, k720p, {k90p, k540p, k720p}},
      {"source back to 1080p", 4, k1080p, {k90p, k540p, k1080p}},
      {"budget 2 drops the lightest", 2, k1080p, {k540p, k1080p}},
      {"source 360p merges everything above", 2, k360p, {k90p, k360p}},
      {"budget 1", 1, k360p, {k360p}},
      {"budget above the maximum", 9, k1080p, {k90p, k540p, k1080p}},
  };
  int64_t t = 1000;
  uint64_t version = planner.Current().version;
  for (const Step& step : steps) {
    INFO(step.name);
    planner.SetTierBudget(step.budget);
    planner.SetSourceLevel(step.source);
    const std::optional<TierPlan> plan = planner.Update(t);  // no debounce
    REQUIRE(plan);
    CHECK(plan->levels == step.encoded);
    CHECK(plan->version == ++version);
    planner.SetTierBudget(step.budget);  // the same again: no change
    planner.SetSourceLevel(step.source);
    CHECK_FALSE(planner.Update(t + 1));
    t += 1000;
  }
  CHECK(planner.TierBudget() == TierPlanner::kMaxTiers);
}

TEST_CASE("TierPlanner debounces demand changes", "[TierPlanner]") {
  TierPlanner planner = MakePlanner(4);
  Want(planner, 1, 3, k540p, 0);
  REQUIRE(planner.Update(0));  // the first demand at once
  REQUIRE(Encoded(planner) == Levels{k540p});

  planner.SetDemand(10, k1080p, 1000);
  CHECK(planner.LevelForSubscriber(10) == k540p);  // served meanwhile by what is encoded
  for (const int64_t t : {1000, 1100, 1299}) CHECK_FALSE(planner.Update(t));
  std::optional<TierPlan> plan = planner.Update(1300);
  REQUIRE(plan);
  CHECK(plan->levels == Levels{k540p, k1080p});
  CHECK(planner.LevelForSubscriber(10) == k1080p);

  // Another change restarts the quiet time.
  planner.SetDemand(11, k90p, 2000);
  planner.SetDemand(12, k90p, 2200);
  CHECK_FALSE(planner.Update(2300));
  CHECK_FALSE(planner.Update(2499));
  plan = planner.Update(2500);
  REQUIRE(plan);
  CHECK(plan->levels == Levels{k90p, k540p, k1080p});

  // Repeating a request is not a change.
  planner.SetDemand(13, k360p, 3000);
  planner.SetDemand(13, k360p, 3200);
  planner.SetDemand(99, std::nullopt, 3200);  // nor is removing someone unknown
  plan = planner.Update(3300);
  REQUIRE(plan);
  CHECK(plan->levels == Levels{k90p, k360p, k540p, k1080p});

  // A change that leaves the plan as it is yields no plan and keeps the version.
  const uint64_t version = planner.Current().version;
  planner.SetDemand(14, k540p, 4000);
  CHECK_FALSE(planner.Update(4300));
  CHECK_FALSE(planner.Update(9000));
  CHECK(planner.Current().version == version);
}

TEST_CASE("TierPlanner applies a resize storm no later than maxDelay", "[TierPlanner]") {
  TierPlanner planner = MakePlanner(4);
  Want(planner, 1, 3, k540p, 0);
  REQUIRE(planner.Update(0));
  // From 1000 to 4900 subscriber 10 switches between 90p and 1080p every 100 ms, faster than
  // the 300 ms debounce; Update runs every 10 ms.
  std::vector<int64_t> planTimes;
  std::vector<Levels> plans;
  for (int64_t t = 1000; t <= 6000; t += 10) {
    if (t < 5000 && t % 100 == 0) {
      planner.SetDemand(10, ((t - 1000) / 100) % 2 == 0 ? k90p : k1080p, t);
    }
    if (const std::optional<TierPlan> plan = planner.Update(t)) {
      planTimes.push_back(t);
      plans.push_back(plan->levels);
    }
  }
  // maxDelay after each first pending change (1000, 2100, 3200), then 300 ms after the last one.
  CHECK(planTimes == std::vector<int64_t>{2000, 3100, 4200, 5200});
  CHECK(plans ==
        std::vector<Levels>{{k90p, k540p}, {k540p, k1080p}, {k90p, k540p}, {k540p, k1080p}});
}

TEST_CASE("TierPlanner pauses everything without demand and resumes at once", "[TierPlanner]") {
  TierPlanner planner = MakePlanner(4);
  planner.SetDemand(1, k720p, 0);
  REQUIRE(planner.Update(0));
  CHECK(Encoded(planner) == Levels{k720p});

  planner.SetDemand(1, std::nullopt, 1000);
  CHECK(planner.TierForSubscriber(1) == kNoTier);
  CHECK_FALSE(planner.Update(1299));  // leaving is debounced like any change
  const std::optional<TierPlan> paused = planner.Update(1300);
  REQUIRE(paused);
  CHECK(paused->levels.empty());
  CHECK(paused->tierForLevel == Levels(10, kNoTier));
  CHECK(planner.SubscriberCount() == 0);

  // Nobody receives video while the plan is empty: a new request is planned at once.
  planner.SetDemand(2, k360p, 5000);
  const std::optional<TierPlan> resumed = planner.Update(5000);
  REQUIRE(resumed);
  CHECK(resumed->levels == Levels{k360p});
  CHECK(resumed->version == 3);
}

TEST_CASE("TierPlanner pauses a tier nobody wants any more", "[TierPlanner]") {
  SECTION("budget to spare") {
    TierPlanner planner = MakePlanner(4);
    Want(planner, 1, 3, k540p, 0);
    planner.SetDemand(10, k1080p, 0);
    planner.SetDemand(20, k90p, 0);
    planner.Update(0);
    REQUIRE(Encoded(planner) == Levels{k90p, k540p, k1080p});
    planner.SetDemand(10, std::nullopt, 1000);
    REQUIRE(planner.Update(1300));
    CHECK(Encoded(planner) == Levels{k90p, k540p});
    CHECK(planner.TierForSubscriber(10) == kNoTier);
    CHECK(planner.SubscriberCount() == 4);
  }
  SECTION("the freed tier goes to a request that was merged") {
    TierPlanner planner = MakePlanner(2);
    Want(planner, 1, 3, k540p, 0);
    Want(planner, 10, 2, k1080p, 0);
    planner.SetDemand(20, k90p, 0);
    planner.Update(0);
    REQUIRE(Encoded(planner) == Levels{k540p, k1080p});
    REQUIRE(planner.LevelForSubscriber(20) == k540p);
    planner.SetDemand(10, std::nullopt, 1000);
    planner.SetDemand(11, std::nullopt, 1000);
    REQUIRE(planner.Update(1300));
    CHECK(Encoded(planner) == Levels{k90p, k540p});
    CHECK(planner.LevelForSubscriber(20) == k90p);
  }
}

TEST_CASE("TierPlanner hysteresis: one subscriber going back and forth does not swap tiers",
          "[TierPlanner]") {
  struct Case {
    std::optional<int> hysteresisSubscribers;  // nullopt: the default (1)
    int minChanges;
    int maxChanges;
  };
  const Case cases[] = {
      {std::nullopt, 0, 0},
      {2, 0, 0},
      {0, 8, 100},  // ties only: the pair swaps at (nearly) every maxDelay
  };
  for (const Case& c : cases) {
    INFO("hysteresisSubscribers " << c.hysteresisSubscribers.value_or(-1));
    TierPlanner::Options options;
    if (c.hysteresisSubscribers) options.hysteresisSubscribers = *c.hysteresisSubscribers;
    TierPlanner planner = MakePlanner(2, options);
    // 540p: 3, 1080p: 2 + the oscillator, 360p: 2.
    Want(planner, {{k540p, 3}, {k1080p, 2}, {k360p, 2}}, 0);
    planner.SetDemand(100, k1080p, 0);
    REQUIRE(planner.Update(0));
    REQUIRE(Encoded(planner) == Levels{k540p, k1080p});
    // Every 100 ms for 10 s: 360p (1080p: 2, 360p: 3), then 1080p (3 and 2) again.
    const int changes = CountPlanChanges(planner, 100, k1080p, k360p, 100, 10'000);
    CHECK(changes >= c.minChanges);
    CHECK(changes <= c.maxChanges);
    if (c.maxChanges == 0) CHECK(Encoded(planner) == Levels{k540p, k1080p});
  }
}

TEST_CASE("TierPlanner: a lone subscriber's moves are paced by maxDelay", "[TierPlanner]") {
  // Rule 1 (a tier nobody wants is paused) has no hysteresis, so the tier follows a subscriber
  // alone at its level, but no more often than once per maxDelay.
  TierPlanner planner = MakePlanner(4);
  Want(planner, 1, 3, k540p, 0);
  planner.SetDemand(100, k1080p, 0);
  REQUIRE(planner.Update(0));
  const int changes = CountPlanChanges(planner, 100, k1080p, k90p, 100, 10'000);
  CHECK(changes >= 1);
  CHECK(changes <= 10);  // 10 s / maxDelay
  for (const int level : Encoded(planner)) {
    CHECK((level == k90p || level == k540p || level == k1080p));
  }
}

TEST_CASE("TierPlanner hysteresis: a real shift in demand changes the tiers", "[TierPlanner]") {
  struct Case {
    int moved;  // of the four 360p subscribers, to 720p
    Levels encoded;
  };
  const Case cases[] = {
      {1, {k360p, k540p}},  // 360p: 3, 720p: 3
      {2, {k540p, k720p}},  // 360p: 2, 720p: 4
      {3, {k540p, k720p}},  // 360p: 1, 720p: 5
      {4, {k540p, k720p}},  // 360p: 0, 720p: 6
  };
  for (const Case& c : cases) {
    INFO(c.moved << " moved");
    TierPlanner planner = MakePlanner(2);
    Want(planner, 1, 5, k540p, 0);
    Want(planner, 10, 4, k360p, 0);
    Want(planner, 20, 2, k720p, 0);
    planner.Update(0);
    REQUIRE(Encoded(planner) == Levels{k360p, k540p});
    Want(planner, 10, c.moved, k720p, 1000);
    planner.Update(1300);
    CHECK(Encoded(planner) == c.encoded);
    // A 360p subscriber left behind is served by the nearest tier.
    if (c.moved < 4) CHECK(planner.LevelForSubscriber(13) == c.encoded.front());
  }
}

TEST_CASE("TierPlanner plans from scratch like the reference rules", "[TierPlanner]") {
  std::mt19937 rng(11);
  for (int round = 0; round < 300; ++round) {
    const int budget = std::uniform_int_distribution<int>(1, 4)(rng);
    const int source = std::uniform_int_distribution<int>(0, 9)(rng);
    std::map<SubscriberId, int> requests;
    const int subscribers = std::uniform_int_distribution<int>(1, 30)(rng);
    for (int i = 0; i < subscribers; ++i) {
      requests[rng()] = std::uniform_int_distribution<int>(0, 9)(rng);
    }
    TierPlanner planner = MakePlanner(budget);
    planner.SetSourceLevel(source);
    for (const auto& [id, level] : requests) planner.SetDemand(id, level, 0);
    planner.Update(0);
    const TierPlan expected = ReferencePlan(requests, budget, source);
    INFO("round " << round);
    CHECK(planner.Current().levels == expected.levels);
    CHECK(planner.Current().tierForLevel == expected.tierForLevel);
  }
}

TEST_CASE("TierPlanner does not depend on subscriber ids or their order", "[TierPlanner]") {
  // The same random history (batches of demand changes, budget and source changes) fed three
  // ways: as generated, shuffled within each batch, and shuffled with every id renamed.
  struct Change {
    SubscriberId id;
    std::optional<int> level;
  };
  struct Batch {
    int64_t atMs;
    int budget;
    int source;
    std::vector<Change> changes;  // distinct ids, so their order cannot matter
  };
  std::mt19937 rng(2024);
  std::vector<Batch> history;
  std::vector<SubscriberId> pool(60);
  std::iota(pool.begin(), pool.end(), 1);
  for (int i = 0; i < 40; ++i) {
    Batch batch{.atMs = int64_t{i} * 400,
                .budget = std::uniform_int_distribution<int>(2, 4)(rng),
                .source = std::uniform_int_distribution<int>(6, 9)(rng),
                .changes = {}};
    std::shuffle(pool.begin(), pool.end(), rng);
    const int count = std::uniform_int_distribution<int>(1, 20)(rng);
    for (int j = 0; j < count; ++j) {
      const bool leaves = std::uniform_int_distribution<int>(0, 9)(rng) == 0;
      // Demand clusters around 360p and 720p, so weights are often close.
      const double height = std::normal_distribution<double>(j % 2 == 0 ? 3 : 7, 1.5)(rng);
      const int level = static_cast<int>(std::lround(std::clamp(height, 0.0, 9.0)));
      batch.changes.push_back({pool[j], leaves ? std::nullopt : std::optional<int>(level)});
    }
    history.push_back(std::move(batch));
  }

  struct Outcome {
    std::vector<std::pair<int64_t, Levels>> plans;
    std::vector<std::optional<int>> finalLevels;  // per original id 1..60
  };
  const auto run = [&](bool shuffle, bool rename) {
    std::mt19937 orderRng(99);
    const auto idFor = [&](SubscriberId id) { return rename ? id * 0x9E3779B97F4A7C15ULL : id; };
    TierPlanner planner = MakePlanner(4);
    Outcome outcome;
    size_t next = 0;
    for (int64_t t = 0; t <= 18'000; t += 20) {
      if (next < history.size() && history[next].atMs == t) {
        Batch batch = history[next++];
        if (shuffle) std::shuffle(batch.changes.begin(), batch.changes.end(), orderRng);
        planner.SetTierBudget(batch.budget);
        planner.SetSourceLevel(batch.source);
        for (const Change& change : batch.changes) {
          planner.SetDemand(idFor(change.id), change.level, t);
        }
      }
      if (const std::optional<TierPlan> plan = planner.Update(t)) {
        outcome.plans.emplace_back(t, plan->levels);
        CHECK(static_cast<int>(plan->levels.size()) <= planner.TierBudget());
        CHECK((plan->levels.empty() || plan->levels.back() <= planner.SourceLevel()));
      }
    }
    for (SubscriberId id = 1; id <= 60; ++id) {
      outcome.finalLevels.push_back(planner.LevelForSubscriber(idFor(id)));
    }
    return outcome;
  };
  const Outcome original = run(false, false);
  REQUIRE(original.plans.size() >= 10);  // the history does exercise the planner
  for (const bool rename : {false, true}) {
    INFO("rename " << rename);
    const Outcome other = run(true, rename);
    CHECK(other.plans == original.plans);
    CHECK(other.finalLevels == original.finalLevels);
  }
}
