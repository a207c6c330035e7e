#include "tests/congestion/SimulatedBottleneck.h"

#include <algorithm>

namespace myriad::congestion {

SimulatedBottleneck::SimulatedBottleneck(const Options& options)
    : options_(options), random_(options.seed) {}

void SimulatedBottleneck::Drain(Timestamp now) {
  if (options_.capacity.IsFinite() && now > lastDrain_) {
    backlogBits_ =
        std::max(0.0, backlogBits_ - options_.capacity.BpsF() * (now - lastDrain_).SecondsF());
  }
  lastDrain_ = std::max(lastDrain_, now);
}

void SimulatedBottleneck::SetCapacity(DataRate capacity, Timestamp now) {
  Drain(now);
  options_.capacity = capacity;
  if (!capacity.IsFinite()) backlogBits_ = 0;
}

int64_t SimulatedBottleneck::QueuedBytes(Timestamp now) {
  Drain(now);
  return static_cast<int64_t>(backlogBits_ / 8);
}

std::optional<Timestamp> SimulatedBottleneck::Send(size_t bytes, Timestamp now) {
  if (options_.randomLoss > 0 && uniform_(random_) < options_.randomLoss) {
    ++randomDrops_;
    return std::nullopt;
  }
  if (!options_.capacity.IsFinite()) return now + options_.oneWayDelay;
  Drain(now);
  const double bits = static_cast<double>(bytes) * 8;
  if (backlogBits_ + bits > static_cast<double>(options_.queueBytes) * 8) {
    ++queueDrops_;
    return std::nullopt;
  }
  backlogBits_ += bits;
  const TimeDelta queueing = TimeDelta::FromSecondsF(backlogBits_ / options_.capacity.BpsF());
  return now + queueing + options_.oneWayDelay;
}

}  // namespace myriad::congestion
