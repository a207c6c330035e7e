#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "congestion/TimeDelta.h"

namespace myriad::congestion {

// A bit rate in bits per second. PlusInfinity marks "no limit" and must not be computed with;
// everything else is plain integer arithmetic (rates here stay far below int64 overflow).
class DataRate {
 public:
  constexpr DataRate() = default;

  static constexpr DataRate FromBps(int64_t bps) { return DataRate(bps); }
  static constexpr DataRate FromKbps(int64_t kbps) { return DataRate(kbps * 1000); }
  static constexpr DataRate FromBpsF(double bps) { return DataRate(static_cast<int64_t>(bps)); }
  // The rate that carries `bytes` in `interval`; zero for an empty or negative interval.
  static constexpr DataRate FromBytesPer(int64_t bytes, TimeDelta interval) {
    return interval.Us() > 0 ? DataRate(bytes * 8 * 1'000'000 / interval.Us()) : DataRate(0);
  }
  static constexpr DataRate Zero() { return DataRate(0); }
  static constexpr DataRate PlusInfinity() { return DataRate(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t Bps() const { return bps_; }
  constexpr int64_t Kbps() const { return bps_ / 1000; }  // truncates
  constexpr double BpsF() const { return static_cast<double>(bps_); }
  constexpr double KbpsF() const { return static_cast<double>(bps_) / 1e3; }
  constexpr bool IsFinite() const { return *this != PlusInfinity(); }
  constexpr bool IsZero() const { return bps_ == 0; }

  // Bytes sent at this rate in `interval` (truncated).
  constexpr int64_t BytesIn(TimeDelta interval) const {
    return bps_ * interval.Us() / 8 / 1'000'000;
  }
  // How long `bytes` take at this rate; PlusInfinity for a zero rate.
  constexpr TimeDelta TimeToSend(int64_t bytes) const {
    return bps_ > 0 ? TimeDelta::FromUs(bytes * 8 * 1'000'000 / bps_) : TimeDelta::PlusInfinity();
  }

  constexpr DataRate operator+(DataRate other) const { return DataRate(bps_ + other.bps_); }
  constexpr DataRate operator-(DataRate other) const { return DataRate(bps_ - other.bps_); }
  constexpr DataRate& operator+=(DataRate other) {
    bps_ += other.bps_;
    return *this;
  }
  constexpr DataRate& operator-=(DataRate other) {
    bps_ -= other.bps_;
    return *this;
  }
  constexpr DataRate operator*(double factor) const {
    return DataRate(static_cast<int64_t>(static_cast<double>(bps_) * factor));
  }
  constexpr DataRate operator/(int64_t divisor) const { return DataRate(bps_ / divisor); }
  constexpr double operator/(DataRate other) const {
    return static_cast<double>(bps_) / static_cast<double>(other.bps_);
  }

  constexpr auto operator<=>(const DataRate&) const = default;

 private:
  constexpr explicit DataRate(int64_t bps) : bps_(bps) {}

  int64_t bps_ = 0;
};

constexpr DataRate operator*(double factor, DataRate rate) { return rate * factor; }

}  // namespace myriad::congestion
