#include "loadtest/client/GilbertElliottLoss.h"

#include <algorithm>

namespace myriad::loadtest {

GilbertElliottLoss::Options GilbertElliottLoss::Independent(double lossRate) {
  Options options;
  options.lossInGood = std::clamp(lossRate, 0.0, 1.0);
  return options;
}

GilbertElliottLoss::Options GilbertElliottLoss::Bursty(double averageLoss, double meanBurstLength) {
  // NaN fails every comparison below and ends up losing nothing.
  if (!(averageLoss > 0)) return Independent(0);
  if (averageLoss >= 1) return Independent(1);
  // A loss run is one stay in the bad state (everything lost there, nothing
  // in the good one), geometric with mean 1 / r; the stationary share of
  // the bad state, p / (p + r), is the loss rate.
  const double burst = std::max({meanBurstLength, 1.0, averageLoss / (1 - averageLoss)});
  Options options;
  options.badToGood = 1 / burst;
  options.goodToBad = std::min(1.0, options.badToGood * averageLoss / (1 - averageLoss));
  options.lossInGood = 0;
  options.lossInBad = 1;
  return options;
}

double GilbertElliottLoss::AverageLoss(const Options& options) {
  const double moves = options.goodToBad + options.badToGood;
  if (options.goodToBad <= 0 || moves <= 0) return options.lossInGood;
  const double badShare = options.goodToBad / moves;
  return (1 - badShare) * options.lossInGood + badShare * options.lossInBad;
}

GilbertElliottLoss::GilbertElliottLoss(Options options, uint64_t seed)
    : options_(options), random_(seed) {}

double GilbertElliottLoss::Uniform() { return static_cast<double>(random_() >> 11) * 0x1.0p-53; }

GilbertElliottLoss::Outcome GilbertElliottLoss::Next() {
  // Two draws per packet, always: the pattern depends on the seed and the
  // options only, not on which branch earlier packets took.
  const double lossDraw = Uniform();
  const double moveDraw = Uniform();
  Outcome outcome = Outcome::kDelivered;
  if (state_ == State::kGood) {
    if (lossDraw < options_.lossInGood) outcome = Outcome::kLostInGood;
    if (moveDraw < options_.goodToBad) state_ = State::kBad;
  } else {
    if (lossDraw < options_.lossInBad) outcome = Outcome::kLostInBad;
    if (moveDraw < options_.badToGood) state_ = State::kGood;
  }
  return outcome;
}

void GilbertElliottLoss::SetOptions(const Options& options) {
  options_ = options;
  if (options_.goodToBad <= 0) state_ = State::kGood;
}

}  // namespace myriad::loadtest
