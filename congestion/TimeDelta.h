#pragma once

#include <compare>
#include <cstdint>
#include <limits>

namespace myriad::congestion {

// A signed span of time in microseconds. The estimator mixes two clocks (the server's send
// times and the subscriber's arrival times) and three units (ms, us, 250 us feedback ticks);
// a type per quantity keeps those apart. PlusInfinity/MinusInfinity are markers ("never"),
// not values to compute with.
class TimeDelta {
 public:
  constexpr TimeDelta() = default;

  static constexpr TimeDelta FromUs(int64_t us) { return TimeDelta(us); }
  static constexpr TimeDelta FromMs(int64_t ms) { return TimeDelta(ms * 1000); }
  static constexpr TimeDelta FromSeconds(int64_t seconds) { return TimeDelta(seconds * 1'000'000); }
  static constexpr TimeDelta FromSecondsF(double seconds) {
    return TimeDelta(static_cast<int64_t>(seconds * 1e6));
  }
  static constexpr TimeDelta Zero() { return TimeDelta(0); }
  static constexpr TimeDelta PlusInfinity() {
    return TimeDelta(std::numeric_limits<int64_t>::max());
  }
  static constexpr TimeDelta MinusInfinity() {
    return TimeDelta(std::numeric_limits<int64_t>::min());
  }

  constexpr int64_t Us() const { return us_; }
  constexpr int64_t Ms() const { return us_ / 1000; }  // truncates towards zero
  constexpr double MsF() const { return static_cast<double>(us_) / 1e3; }
  constexpr double SecondsF() const { return static_cast<double>(us_) / 1e6; }
  constexpr bool IsFinite() const { return *this != PlusInfinity() && *this != MinusInfinity(); }
  constexpr TimeDelta Abs() const { return TimeDelta(us_ < 0 ? -us_ : us_); }

  constexpr TimeDelta operator+(TimeDelta other) const { return TimeDelta(us_ + other.us_); }
  constexpr TimeDelta operator-(TimeDelta other) const { return TimeDelta(us_ - other.us_); }
  constexpr TimeDelta operator-() const { return TimeDelta(-us_); }
  constexpr TimeDelta& operator+=(TimeDelta other) {
    us_ += other.us_;
    return *this;
  }
  constexpr TimeDelta& operator-=(TimeDelta other) {
    us_ -= other.us_;
    return *this;
  }
  constexpr TimeDelta operator*(int64_t factor) const { return TimeDelta(us_ * factor); }
  constexpr TimeDelta operator*(int factor) const { return TimeDelta(us_ * factor); }
  constexpr TimeDelta operator*(double factor) const {
    return TimeDelta(static_cast<int64_t>(static_cast<double>(us_) * factor));
  }
  constexpr TimeDelta operator/(int64_t divisor) const { return TimeDelta(us_ / divisor); }
  constexpr TimeDelta operator/(int divisor) const { return TimeDelta(us_ / divisor); }
  constexpr double operator/(TimeDelta other) const {
    return static_cast<double>(us_) / static_cast<double>(other.us_);
  }

  constexpr auto operator<=>(const TimeDelta&) const = default;

 private:
  constexpr explicit TimeDelta(int64_t us) : us_(us) {}

  int64_t us_ = 0;
};

constexpr TimeDelta operator*(int64_t factor, TimeDelta delta) { return delta * factor; }
constexpr TimeDelta operator*(int factor, TimeDelta delta) { return delta * factor; }
constexpr TimeDelta operator*(double factor, TimeDelta delta) { return delta * factor; }

}  // namespace myriad::congestion
