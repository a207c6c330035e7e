#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>

#include "loadtest/client/GilbertElliottLoss.h"

namespace myriad::loadtest {

// One direction of an impaired network path, as pure logic with time passed
// in: what netem and a token-bucket qdisc would do to each packet, for a
// kernel that has neither. Admit() decides a packet's fate when it enters
// the path and, unless it is dropped, when its last bit leaves the far end;
// the caller (ImpairmentRelay) holds it until then in a DelayLine.
//
// A packet meets, in order:
// 1. loss (GilbertElliottLoss, independent or bursty; a lost packet takes
//    no room on the link, as with netem's loss);
// 2. the bottleneck: a FIFO drained at `rateBitsPerSecond`, bounded like a
//    router's buffer by `queueLimitBytes` (tail drop: a packet that would
//    take the backlog, the one being serialized included, over the limit
//    is dropped);
// 3. serialization behind the backlog at that rate, then the fixed one-way
//    `delay` plus a jitter drawn from +-`jitter` (uniform, or normal with
//    sigma = jitter / 2 cut at the bounds). Without `allowReorder` a
//    packet never leaves before the one admitted before it (due time =
//    max(previous due, computed)), as on a path that jitters by queueing.
//
// Runtime changes (SetOptions) are for step-change benchmarks. The
// approximation: a packet's departure is fixed when it is admitted, so the
// packets already admitted keep the times computed at the old rate; the
// backlog they form is carried over in bytes and re-timed at the new rate,
// so packets admitted after the change queue behind it as if it drained at
// the new rate from the change on. Bytes delivered over time and the
// queueing delay new packets see are right; only the spacing of the packets
// that were queued at the instant of the change follows the old rate (and,
// without allowReorder, a packet admitted after a rate increase still
// leaves no earlier than those promised before it).
//
// No allocation; single-threaded.
class LinkImpairment {
 public:
  using Clock = std::chrono::steady_clock;

  enum class JitterDistribution { kUniform, kNormal };
  enum class DropReason { kQueueFull, kRandomLoss, kBurstLoss };

  struct Options {
    // The bottleneck's rate; 0: unlimited (no serialization, no queue).
    uint64_t rateBitsPerSecond = 0;
    // The bottleneck's buffer; 0: unlimited.
    size_t queueLimitBytes = 0;
    std::chrono::microseconds delay{0};
    std::chrono::microseconds jitter{0};
    JitterDistribution jitterDistribution = JitterDistribution::kUniform;
    bool allowReorder = false;
    // Loss in the good state is counted as random loss, in the bad state as
    // burst loss. The default loses nothing.
    GilbertElliottLoss::Options loss;
    // Seeds the loss model and the jitter, at construction only.
    uint64_t seed = 1;
  };

  struct Counters {
    uint64_t admitted = 0;
    uint64_t admittedBytes = 0;
    uint64_t droppedQueueFull = 0;
    uint64_t droppedRandomLoss = 0;  // lost in the good state
    uint64_t droppedBurstLoss = 0;   // lost in the bad state
    uint64_t Dropped() const { return droppedQueueFull + droppedRandomLoss + droppedBurstLoss; }
  };

  explicit LinkImpairment(Options options);

  // `options` with its seed mixed with `stream` (splitmix64's finalizer):
  // well-spread seeds for neighbouring streams, so path 0 and path 1, or a
  // path's two directions, do not share a loss pattern.
  static Options ForStream(Options options, uint64_t stream);

  // A packet of `bytes` enters the path at `now`: when it leaves the far
  // end, or nullopt if dropped (LastDropReason() says why). `now` must not
  // go backwards between calls.
  std::optional<Clock::time_point> Admit(size_t bytes, Clock::time_point now);
  // New options from `now` on (see the class comment for the backlog);
  // the seed is not re-applied, the generators carry on.
  void SetOptions(const Options& options, Clock::time_point now);
  const Options& GetOptions() const { return options_; }

  // The bytes admitted and not yet serialized at `now` (0 when unlimited).
  size_t BacklogBytes(Clock::time_point now) const;
  const Counters& GetCounters() const { return counters_; }
  std::optional<DropReason> LastDropReason() const { return lastDrop_; }

 private:
  std::chrono::nanoseconds SerializationTime(uint64_t bytes) const;
  std::chrono::nanoseconds JitterOffset();
  // Uniform in [0, 1), as GilbertElliottLoss draws.
  double Uniform();

  Options options_;
  GilbertElliottLoss loss_;
  std::mt19937_64 jitterRandom_;
  // When the bottleneck has serialized everything admitted so far.
  Clock::time_point busyUntil_{};
  // The latest due time handed out (the order kept without allowReorder).
  std::optional<Clock::time_point> lastDue_;
  std::optional<DropReason> lastDrop_;
  Counters counters_;
};

}  // namespace myriad::loadtest
