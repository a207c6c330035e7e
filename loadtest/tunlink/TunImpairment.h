#pragma once

#include <chrono>
#include <cstdint>
#include <span>

#include "loadtest/client/LinkImpairment.h"
#include "loadtest/tunlink/TunPacketFilter.h"

namespace myriad::loadtest {

// One direction of myriad-tunlink as pure logic with time passed in: what
// happens to an IP packet read from one TUN device before it is written to
// the other. A packet the filter selects crosses a LinkImpairment (random
// loss, then a fixed one-way delay; no rate cap and no reordering, so an
// impaired flow keeps its order, as netem's delay does); any other packet
// passes at once.
//
// Deterministic: the loss pattern depends only on the seed and the
// sequence of selected packets (LinkImpairment, GilbertElliottLoss).
//
// No allocation; single-threaded.
class TunImpairment {
 public:
  using Clock = LinkImpairment::Clock;

  struct Options {
    TunPacketFilter::Selection only = TunPacketFilter::Selection::kAll;
    std::chrono::microseconds delay{0};
    double lossRate = 0;  // 0..1, independent per selected packet
    uint64_t seed = 1;
  };

  struct Verdict {
    enum class Kind { kPass, kDelay, kDrop };
    Kind kind = Kind::kPass;
    // For kDelay: when the packet is to be written to the far side.
    Clock::time_point due{};
  };

  struct Counters {
    uint64_t packets = 0;   // every packet read
    uint64_t impaired = 0;  // selected by the filter (delayed or dropped)
    uint64_t dropped = 0;   // lost to the random loss
  };

  explicit TunImpairment(const Options& options);

  // The fate of `packet`, read at `now` (which must not go backwards).
  Verdict Decide(std::span<const uint8_t> packet, Clock::time_point now);

  const Counters& GetCounters() const { return counters_; }
  const Options& GetOptions() const { return options_; }

 private:
  Options options_;
  TunPacketFilter filter_;
  LinkImpairment link_;
  Counters counters_;
};

}  // namespace myriad::loadtest
