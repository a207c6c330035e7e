#include "congestion/AimdRateControl.h"

#include <algorithm>
#include <cmath>

namespace myriad::congestion {

namespace {

// Bounds of the normalised variance: keeps the capacity band from collapsing to a line (every
// sample would reset it) or widening without limit.
constexpr double kMinCapacityVariance = 0.4;
constexpr double kMaxCapacityVariance = 2.5;
constexpr double kCapacityBandDeviations = 3;
constexpr TimeDelta kMinReduceInterval = TimeDelta::FromMs(10);
constexpr TimeDelta kMaxReduceInterval = TimeDelta::FromMs(200);
constexpr TimeDelta kMaxIncreaseStep = TimeDelta::FromSeconds(1);

}  // namespace

AimdRateControl::AimdRateControl(DataRate start, DataRate min, DataRate max)
    : min_(min), max_(max), rate_(std::clamp(start, min, max)) {}

DataRate AimdRateControl::Clamp(DataRate rate) const { return std::clamp(rate, min_, max_); }

void AimdRateControl::SetEstimate(DataRate rate, Timestamp now) {
  rate_ = Clamp(rate);
  lastChange_ = now;
}

std::optional<DataRate> AimdRateControl::LinkCapacity() const {
  if (!capacityKbps_) return std::nullopt;
  return DataRate::FromBpsF(*capacityKbps_ * 1e3);
}

double AimdRateControl::CapacityStdDevKbps() const {
  return std::sqrt(capacityVariance_ * *capacityKbps_);
}

void AimdRateControl::UpdateLinkCapacity(DataRate sample) {
  const double sampleKbps = sample.KbpsF();
  if (!capacityKbps_) {
    capacityKbps_ = sampleKbps;
  } else {
    capacityKbps_ = (1 - kCapacitySmoothing) * *capacityKbps_ + kCapacitySmoothing * sampleKbps;
  }
  const double error = *capacityKbps_ - sampleKbps;
  const double normaliser = std::max(*capacityKbps_, 1.0);
  capacityVariance_ = (1 - kCapacitySmoothing) * capacityVariance_ +
                      kCapacitySmoothing * error * error / normaliser;
  capacityVariance_ = std::clamp(capacityVariance_, kMinCapacityVariance, kMaxCapacityVariance);
}

DataRate AimdRateControl::AdditiveIncreasePerSecond() const {
  // One packet per response time; at low rates a frame is smaller than a full packet.
  const double frameBytes = rate_.BpsF() / 8 / kAssumedFramesPerSecond;
  const double packetBytes = std::min(frameBytes, static_cast<double>(kMaxPacketBytes));
  const TimeDelta responseTime = rtt_ + kResponseTimeExtra;
  const DataRate perSecond = DataRate::FromBpsF(packetBytes * 8 / responseTime.SecondsF());
  return std::max(perSecond, kMinAdditivePerSecond);
}

void AimdRateControl::ChangeState(BandwidthUsage usage, Timestamp now) {
  switch (usage) {
    case BandwidthUsage::kOverusing:
      state_ = State::kDecrease;
      break;
    case BandwidthUsage::kUnderusing:
      state_ = State::kHold;
      break;
    case BandwidthUsage::kNormal:
      if (state_ == State::kHold) {
        state_ = State::kIncrease;
        lastChange_ = now;  // the increase is timed from here, not from the last decrease
      }
      break;
  }
}

bool AimdRateControl::MayDecreaseAgain(std::optional<DataRate> acknowledged, Timestamp now) const {
  if (!lastDecrease_) return true;
  const TimeDelta interval = std::clamp(rtt_, kMinReduceInterval, kMaxReduceInterval);
  if (now - *lastDecrease_ >= interval) return true;
  return acknowledged && *acknowledged < rate_ * 0.5;
}

DataRate AimdRateControl::Increased(std::optional<DataRate> acknowledged, Timestamp now) {
  if (acknowledged && capacityKbps_ &&
      acknowledged->KbpsF() > *capacityKbps_ + kCapacityBandDeviations * CapacityStdDevKbps()) {
    capacityKbps_.reset();  // more got through than the link was thought to carry
  }
  const TimeDelta step = lastChange_
                             ? std::clamp(now - *lastChange_, TimeDelta::Zero(), kMaxIncreaseStep)
                             : TimeDelta::Zero();
  DataRate next = rate_;
  if (capacityKbps_) {
    next += DataRate::FromBpsF(AdditiveIncreasePerSecond().BpsF() * step.SecondsF());
  } else {
    const double factor = std::pow(1 + kIncreasePerSecond, step.SecondsF());
    next += std::max(rate_ * (factor - 1), kMinMultiplicativeStep);
  }
  if (acknowledged) {
    const DataRate cap = *acknowledged * kThroughputCapFactor + kThroughputCapExtra;
    next = std::min(next, std::max(cap, rate_));
  }
  return next;
}

DataRate AimdRateControl::Decreased(std::optional<DataRate> acknowledged) {
  const DataRate throughput = acknowledged.value_or(rate_);
  DataRate next = throughput * kBeta;
  if (next > rate_ && capacityKbps_) {
    // The throughput window still holds better times; the capacity estimate is the better
    // guide for how far down to go.
    next = DataRate::FromBpsF(*capacityKbps_ * 1e3 * kBeta);
  }
  if (capacityKbps_ &&
      throughput.KbpsF() < *capacityKbps_ - kCapacityBandDeviations * CapacityStdDevKbps()) {
    capacityKbps_.reset();  // the path got worse: start the average over
  }
  UpdateLinkCapacity(throughput);
  return std::min(next, rate_);
}

DataRate AimdRateControl::Update(BandwidthUsage usage, std::optional<DataRate> acknowledged,
                                 Timestamp now) {
  if (usage == BandwidthUsage::kOverusing && !MayDecreaseAgain(acknowledged, now)) return rate_;
  ChangeState(usage, now);
  switch (state_) {
    case State::kHold:
      break;
    case State::kIncrease:
      rate_ = Clamp(Increased(acknowledged, now));
      lastChange_ = now;
      break;
    case State::kDecrease:
      rate_ = Clamp(Decreased(acknowledged));
      lastChange_ = now;
      lastDecrease_ = now;
      state_ = State::kHold;
      break;
  }
  return rate_;
}

}  // namespace myriad::congestion
