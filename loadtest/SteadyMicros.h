#pragma once

#include <chrono>
#include <cstdint>

namespace myriad::loadtest {

// The load generator's one time base: steady clock microseconds, as
// LoadtestPayload carries them.
inline int64_t ToSteadyMicros(std::chrono::steady_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
}

inline int64_t SteadyMicros() { return ToSteadyMicros(std::chrono::steady_clock::now()); }

}  // namespace myriad::loadtest
