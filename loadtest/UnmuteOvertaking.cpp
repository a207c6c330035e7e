#include "loadtest/UnmuteOvertaking.h"

#include <algorithm>

namespace myriad::loadtest {

bool UnmuteOvertaking::Overtaken(const Microphone& microphone, bool acceptsRequest, int64_t sentUs,
                                 int64_t replyUs) {
  const auto& starts =
      acceptsRequest ? microphone.unmuteRequestsSentUs : microphone.selfMutesSentUs;
  // The unmute's own cycle: the latest start sent before it.
  bool found = false;
  int64_t cycleStart = 0;
  for (const int64_t at : starts) {
    if (at < sentUs && (!found || at > cycleStart)) {
      cycleStart = at;
      found = true;
    }
  }
  if (!found) return false;
  const auto& locks = microphone.locksSentUs;
  return std::any_of(locks.begin(), locks.end(),
                     [&](int64_t at) { return at > cycleStart && at < replyUs; });
}

}  // namespace myriad::loadtest
