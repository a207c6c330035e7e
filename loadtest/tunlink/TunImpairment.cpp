#include "loadtest/tunlink/TunImpairment.h"

namespace myriad::loadtest {
namespace {

LinkImpairment::Options LinkOptionsOf(const TunImpairment::Options& options) {
  LinkImpairment::Options link;
  link.delay = options.delay;
  link.loss = GilbertElliottLoss::Independent(options.lossRate);
  link.seed = options.seed;
  return link;
}

}  // namespace

TunImpairment::TunImpairment(const Options& options)
    : options_(options), filter_(options.only), link_(LinkOptionsOf(options)) {}

TunImpairment::Verdict TunImpairment::Decide(std::span<const uint8_t> packet,
                                             Clock::time_point now) {
  ++counters_.packets;
  if (!filter_.Matches(packet)) return Verdict{};
  ++counters_.impaired;
  const auto due = link_.Admit(packet.size(), now);
  if (!due) {
    ++counters_.dropped;
    return Verdict{Verdict::Kind::kDrop, {}};
  }
  return Verdict{Verdict::Kind::kDelay, *due};
}

}  // namespace myriad::loadtest
