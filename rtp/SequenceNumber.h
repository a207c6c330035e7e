#pragma once

// Modular comparison and unwrapping of RTP sequence numbers and timestamps.
// RFC 3550 section 6.4.1 and appendix A.1: sequence numbers are 16-bit counters that wrap,
// so "newer" is decided by the forward distance being less than half the number space.

#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

namespace myriad::rtp {

// True when `a` comes after `b` in wrapping order. Exactly half the space apart is ambiguous;
// we break the tie by the raw value so that IsNewer(a, b) and IsNewer(b, a) are never both true.
template <typename UInt>
constexpr bool IsNewerWrapping(UInt a, UInt b) {
  static_assert(std::is_unsigned_v<UInt>);
  constexpr UInt kHalf = static_cast<UInt>(std::numeric_limits<UInt>::max() / 2 + 1);
  const UInt forward = static_cast<UInt>(a - b);
  if (forward == kHalf) return a > b;
  return forward != 0 && forward < kHalf;
}

constexpr bool IsSeqNewer(uint16_t a, uint16_t b) { return IsNewerWrapping<uint16_t>(a, b); }
constexpr bool IsTimestampNewer(uint32_t a, uint32_t b) { return IsNewerWrapping<uint32_t>(a, b); }

// Signed distance from `from` to `to` taking the shorter way around the wrap.
template <typename UInt>
constexpr int64_t WrappingDistance(UInt from, UInt to) {
  constexpr int64_t kSpace = int64_t{std::numeric_limits<UInt>::max()} + 1;
  const int64_t forward = static_cast<UInt>(to - from);
  return IsNewerWrapping<UInt>(from, to) ? forward - kSpace : forward;
}

// The extended value of `value` that is closest to `reference` (an already-extended value).
template <typename UInt>
constexpr int64_t UnwrapNear(UInt value, int64_t reference) {
  return reference + WrappingDistance<UInt>(static_cast<UInt>(reference), value);
}

// Turns a wrapping counter into a monotonic 64-bit one. Each value is placed at the extended
// position closest to the last one seen, so reordering within half the space is handled and the
// extended value can go below the first value (even negative) for late packets.
template <typename UInt>
class WrappingUnwrapper {
 public:
  int64_t Unwrap(UInt value) {
    const int64_t extended = PeekUnwrap(value);
    last_ = extended;
    return extended;
  }

  // What Unwrap would return, without moving the reference point.
  int64_t PeekUnwrap(UInt value) const {
    return last_ ? UnwrapNear<UInt>(value, *last_) : int64_t{value};
  }

  std::optional<int64_t> Last() const { return last_; }
  void Reset() { last_.reset(); }

 private:
  std::optional<int64_t> last_;
};

using SeqNumUnwrapper = WrappingUnwrapper<uint16_t>;
using TimestampUnwrapper = WrappingUnwrapper<uint32_t>;

}  // namespace myriad::rtp
