#pragma once

// Test-only: lets Catch print the congestion units in failed assertions.

#include <ostream>

#include "congestion/DataRate.h"
#include "congestion/TimeDelta.h"
#include "congestion/Timestamp.h"

namespace myriad::congestion {

inline std::ostream& operator<<(std::ostream& out, DataRate rate) {
  if (!rate.IsFinite()) return out << "+inf bps";
  return out << rate.Bps() << " bps";
}

inline std::ostream& operator<<(std::ostream& out, TimeDelta delta) {
  if (!delta.IsFinite()) return out << (delta > TimeDelta::Zero() ? "+inf" : "-inf") << " us";
  return out << delta.Us() << " us";
}

inline std::ostream& operator<<(std::ostream& out, Timestamp time) {
  if (!time.IsFinite()) return out << (time > Timestamp::FromUs(0) ? "+inf" : "-inf") << " us";
  return out << "t=" << time.Us() << " us";
}

}  // namespace myriad::congestion
