// GilbertElliottLoss: bursty (and independent) packet loss, deterministic
// under a seed.

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "loadtest/client/GilbertElliottLoss.h"

namespace myriad::loadtest {
namespace {

using Outcome = GilbertElliottLoss::Outcome;

std::vector<Outcome> Run(const GilbertElliottLoss::Options& options, uint64_t seed, size_t count) {
  GilbertElliottLoss loss(options, seed);
  std::vector<Outcome> outcomes;
  outcomes.reserve(count);
  for (size_t i = 0; i < count; ++i) outcomes.push_back(loss.Next());
  return outcomes;
}

struct LossRuns {
  double lossRate = 0;
  double meanBurst = 0;  // mean length of runs of consecutive losses
  uint64_t lostInGood = 0;
  uint64_t lostInBad = 0;
};

LossRuns Measure(const std::vector<Outcome>& outcomes) {
  LossRuns runs;
  uint64_t lost = 0;
  uint64_t bursts = 0;
  bool previousLost = false;
  for (const Outcome outcome : outcomes) {
    const bool isLost = outcome != Outcome::kDelivered;
    if (outcome == Outcome::kLostInGood) ++runs.lostInGood;
    if (outcome == Outcome::kLostInBad) ++runs.lostInBad;
    if (isLost) ++lost;
    if (isLost && !previousLost) ++bursts;
    previousLost = isLost;
  }
  runs.lossRate = static_cast<double>(lost) / static_cast<double>(outcomes.size());
  runs.meanBurst = bursts == 0 ? 0 : static_cast<double>(lost) / static_cast<double>(bursts);
  return runs;
}

}  // namespace

TEST_CASE("GilbertElliottLoss repeats its pattern under a seed and changes it with the seed",
          "[loadtest][impairment]") {
  const auto options = GilbertElliottLoss::Bursty(0.1, 3);
  const auto first = Run(options, 42, 5000);
  CHECK(first == Run(options, 42, 5000));
  CHECK(first != Run(options, 43, 5000));
  // Independent losses too.
  const auto independent = GilbertElliottLoss::Independent(0.2);
  CHECK(Run(independent, 7, 5000) == Run(independent, 7, 5000));
}

TEST_CASE("GilbertElliottLoss::Bursty meets its average loss and mean burst length",
          "[loadtest][impairment]") {
  struct Case {
    double loss;
    double burst;
  };
  const std::vector<Case> cases = {{0.01, 2}, {0.05, 4}, {0.1, 1.5}, {0.2, 8}, {0.3, 3}};
  for (const auto& c : cases) {
    INFO("loss " << c.loss << ", burst " << c.burst);
    const auto options = GilbertElliottLoss::Bursty(c.loss, c.burst);
    CHECK(GilbertElliottLoss::AverageLoss(options) == Approx(c.loss));
    const LossRuns runs = Measure(Run(options, 1234, 2'000'000));
    CHECK(runs.lossRate == Approx(c.loss).epsilon(0.05));
    CHECK(runs.meanBurst == Approx(c.burst).epsilon(0.05));
    // Everything is lost in the bad state, nothing in the good one.
    CHECK(runs.lostInGood == 0);
    CHECK(runs.lostInBad > 0);
  }
}

TEST_CASE("GilbertElliottLoss::Independent never enters the bad state", "[loadtest][impairment]") {
  for (const double rate : {0.0, 0.02, 0.25, 1.0}) {
    INFO("rate " << rate);
    const auto options = GilbertElliottLoss::Independent(rate);
    GilbertElliottLoss loss(options, 9);
    std::vector<Outcome> outcomes;
    int badStates = 0;
    for (int i = 0; i < 400'000; ++i) {
      outcomes.push_back(loss.Next());
      if (loss.CurrentState() == GilbertElliottLoss::State::kBad) ++badStates;
    }
    CHECK(badStates == 0);
    const LossRuns runs = Measure(outcomes);
    CHECK(runs.lostInBad == 0);
    CHECK(runs.lossRate == Approx(rate).margin(0.003));
    // Runs of independent losses are geometric: mean 1 / (1 - rate).
    if (rate > 0 && rate < 1) CHECK(runs.meanBurst == Approx(1 / (1 - rate)).epsilon(0.03));
  }
}

TEST_CASE("GilbertElliottLoss::Bursty keeps the rate when the burst is too short for it",
          "[loadtest][impairment]") {
  // 60% loss cannot come in bursts of 1: they are raised to 0.6 / 0.4 = 1.5.
  const auto options = GilbertElliottLoss::Bursty(0.6, 1);
  CHECK(options.goodToBad == Approx(1));
  CHECK(options.badToGood == Approx(1 / 1.5));
  CHECK(GilbertElliottLoss::AverageLoss(options) == Approx(0.6));
  const LossRuns runs = Measure(Run(options, 5, 1'000'000));
  CHECK(runs.lossRate == Approx(0.6).epsilon(0.02));
  // The edges lose nothing or everything.
  CHECK(Measure(Run(GilbertElliottLoss::Bursty(0, 5), 5, 1000)).lossRate == 0);
  CHECK(Measure(Run(GilbertElliottLoss::Bursty(1, 5), 5, 1000)).lossRate == 1);
  CHECK(Measure(Run(GilbertElliottLoss::Options{}, 5, 1000)).lossRate == 0);
}

TEST_CASE("GilbertElliottLoss takes new options at runtime, leaving the bad state if they end it",
          "[loadtest][impairment]") {
  // Stuck in the bad state, losing everything.
  GilbertElliottLoss loss(GilbertElliottLoss::Options{1, 0, 0, 1}, 3);
  CHECK(loss.Next() == Outcome::kDelivered);  // the first packet finds the good state
  CHECK(loss.CurrentState() == GilbertElliottLoss::State::kBad);
  for (int i = 0; i < 100; ++i) REQUIRE(loss.Next() == Outcome::kLostInBad);
  loss.SetOptions(GilbertElliottLoss::Independent(0));
  CHECK(loss.CurrentState() == GilbertElliottLoss::State::kGood);
  for (int i = 0; i < 100; ++i) REQUIRE(loss.Next() == Outcome::kDelivered);
}

}  // namespace myriad::loadtest
