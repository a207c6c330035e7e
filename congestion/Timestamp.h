#pragma once

#include <compare>
#include <cstdint>
#include <limits>

#include "congestion/TimeDelta.h"

namespace myriad::congestion {

// A point on a monotonic clock, in microseconds from that clock's (arbitrary) origin. Only
// differences of timestamps from the same clock mean anything: Timestamp - Timestamp is a
// TimeDelta, Timestamp + Timestamp does not exist. PlusInfinity/MinusInfinity mark "never" and
// "long ago" and must not be computed with.
class Timestamp {
 public:
  constexpr Timestamp() = default;

  static constexpr Timestamp FromUs(int64_t us) { return Timestamp(us); }
  static constexpr Timestamp FromMs(int64_t ms) { return Timestamp(ms * 1000); }
  static constexpr Timestamp PlusInfinity() {
    return Timestamp(std::numeric_limits<int64_t>::max());
  }
  static constexpr Timestamp MinusInfinity() {
    return Timestamp(std::numeric_limits<int64_t>::min());
  }

  constexpr int64_t Us() const { return us_; }
  constexpr int64_t Ms() const { return us_ / 1000; }  // truncates towards zero
  constexpr bool IsFinite() const { return *this != PlusInfinity() && *this != MinusInfinity(); }

  constexpr Timestamp operator+(TimeDelta delta) const { return Timestamp(us_ + delta.Us()); }
  constexpr Timestamp operator-(TimeDelta delta) const { return Timestamp(us_ - delta.Us()); }
  constexpr TimeDelta operator-(Timestamp other) const {
    return TimeDelta::FromUs(us_ - other.us_);
  }
  constexpr Timestamp& operator+=(TimeDelta delta) {
    us_ += delta.Us();
    return *this;
  }
  constexpr Timestamp& operator-=(TimeDelta delta) {
    us_ -= delta.Us();
    return *this;
  }

  constexpr auto operator<=>(const Timestamp&) const = default;

 private:
  constexpr explicit Timestamp(int64_t us) : us_(us) {}

  int64_t us_ = 0;
};

}  // namespace myriad::congestion
