#pragma once

namespace myriad::congestion {

// What the delay-based detector concludes about the path (GoogCC's "hypothesis"): the queue at
// the bottleneck is growing (overusing), stable (normal) or draining (underusing).
enum class BandwidthUsage {
  kNormal,
  kUnderusing,
  kOverusing,
};

}  // namespace myriad::congestion
