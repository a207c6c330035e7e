#include "loadtest/client/LinkImpairment.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace myriad::loadtest {
namespace {

constexpr uint64_t kNanosPerSecond = 1'000'000'000;
// The jitter's generator is not the loss model's: changing the loss options
// must not shift the jitter pattern (and the other way round).
constexpr uint64_t kJitterSeedSalt = 0x9E3779B97F4A7C15ULL;

}  // namespace

LinkImpairment::Options LinkImpairment::ForStream(Options options, uint64_t stream) {
  uint64_t z = options.seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  options.seed = z ^ (z >> 31);
  return options;
}

LinkImpairment::LinkImpairment(Options options)
    : options_(options),
      loss_(options.loss, options.seed),
      jitterRandom_(options.seed ^ kJitterSeedSalt) {}

std::chrono::nanoseconds LinkImpairment::SerializationTime(uint64_t bytes) const {
  // Exact in integers, rounded up to the nanosecond: 1000 bytes at 800 kbit/s
  // are 10 ms, not 9.999999 ms.
  const auto bits = static_cast<unsigned __int128>(bytes) * 8 * kNanosPerSecond;
  const auto rate = static_cast<unsigned __int128>(options_.rateBitsPerSecond);
  return std::chrono::nanoseconds(static_cast<int64_t>((bits + rate - 1) / rate));
}

size_t LinkImpairment::BacklogBytes(Clock::time_point now) const {
  if (options_.rateBitsPerSecond == 0 || busyUntil_ <= now) return 0;
  const auto remaining = std::chrono::duration_cast<std::chrono::nanoseconds>(busyUntil_ - now);
  // A byte partly serialized is still queued.
  const auto bits = static_cast<unsigned __int128>(remaining.count()) * options_.rateBitsPerSecond;
  const unsigned __int128 perByte = 8 * static_cast<unsigned __int128>(kNanosPerSecond);
  return static_cast<size_t>((bits + perByte - 1) / perByte);
}

double LinkImpairment::Uniform() { return static_cast<double>(jitterRandom_() >> 11) * 0x1.0p-53; }

std::chrono::nanoseconds LinkImpairment::JitterOffset() {
  if (options_.jitter.count() <= 0) return std::chrono::nanoseconds(0);
  const double bound = std::chrono::duration<double, std::nano>(options_.jitter).count();
  double offset = 0;
  if (options_.jitterDistribution == JitterDistribution::kUniform) {
    offset = (2 * Uniform() - 1) * bound;
  } else {
    // Box-Muller; 1 - Uniform() is in (0, 1], so the logarithm is finite.
    const double radius = std::sqrt(-2 * std::log(1 - Uniform()));
    const double normal = radius * std::cos(2 * std::numbers::pi * Uniform());
    offset = std::clamp(normal * bound / 2, -bound, bound);
  }
  return std::chrono::nanoseconds(std::llround(offset));
}

std::optional<LinkImpairment::Clock::time_point> LinkImpairment::Admit(size_t bytes,
                                                                       Clock::time_point now) {
  lastDrop_.reset();
  switch (loss_.Next()) {
    case GilbertElliottLoss::Outcome::kLostInGood:
      ++counters_.droppedRandomLoss;
      lastDrop_ = DropReason::kRandomLoss;
      return std::nullopt;
    case GilbertElliottLoss::Outcome::kLostInBad:
      ++counters_.droppedBurstLoss;
      lastDrop_ = DropReason::kBurstLoss;
      return std::nullopt;
    case GilbertElliottLoss::Outcome::kDelivered:
      break;
  }
  Clock::time_point serialized = now;
  if (options_.rateBitsPerSecond > 0) {
    if (options_.queueLimitBytes > 0 && BacklogBytes(now) + bytes > options_.queueLimitBytes) {
      ++counters_.droppedQueueFull;
      lastDrop_ = DropReason::kQueueFull;
      return std::nullopt;
    }
    serialized = std::max(now, busyUntil_) +
                 std::chrono::duration_cast<Clock::duration>(SerializationTime(bytes));
    busyUntil_ = serialized;
  }
  // Jitter never makes a packet leave before its last bit is on the wire.
  const auto travel =
      std::max<Clock::duration>(std::chrono::duration_cast<Clock::duration>(options_.delay) +
                                    std::chrono::duration_cast<Clock::duration>(JitterOffset()),
                                Clock::duration::zero());
  Clock::time_point due = serialized + travel;
  if (!options_.allowReorder && lastDue_ && due < *lastDue_) due = *lastDue_;
  lastDue_ = lastDue_ ? std::max(*lastDue_, due) : due;
  ++counters_.admitted;
  counters_.admittedBytes += bytes;
  return due;
}

void LinkImpairment::SetOptions(const Options& options, Clock::time_point now) {
  const size_t backlog = BacklogBytes(now);
  const uint64_t seed = options_.seed;
  options_ = options;
  options_.seed = seed;
  loss_.SetOptions(options_.loss);
  // The backlog keeps its bytes and drains at the new rate from now on (an
  // unlimited link has none).
  if (options_.rateBitsPerSecond == 0) {
    busyUntil_ = std::min(busyUntil_, now);
  } else if (backlog > 0) {
    busyUntil_ = now + std::chrono::duration_cast<Clock::duration>(SerializationTime(backlog));
  }
}

}  // namespace myriad::loadtest
