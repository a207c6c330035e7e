#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace myriad::loadtest {

// A fixed-size log-linear histogram of non-negative integers (microseconds
// here): values below 256 are kept exactly, larger ones in 128 buckets per
// power of two, so a percentile is within 0.4% of the true value whatever
// the count. Recording is O(1) without allocation, which a receive path
// handling 100k packets a second needs; histograms merge by addition.
class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr int64_t kExactBelow = 256;
  // Values from 2^40 us (12 days) on share the last bucket.
  static constexpr int kMaxBits = 40;
  static constexpr size_t kBucketCount =
      kExactBelow + static_cast<size_t>(kMaxBits - 8) * (size_t{1} << kSubBucketBits);

  // Negative values count as 0.
  void Record(int64_t value);
  void Merge(const LatencyHistogram& other);

  uint64_t Count() const { return count_; }
  int64_t Min() const { return count_ ? min_ : 0; }
  int64_t Max() const { return count_ ? max_ : 0; }
  double Mean() const;
  // Nearest-rank percentile (0 < percent <= 100): the smallest recorded
  // value with at least `percent`% of the values at or below it, as the
  // middle of its bucket, clamped to [Min, Max]. 0 when empty.
  double Percentile(double percent) const;

  static size_t BucketOf(int64_t value);
  static int64_t BucketLow(size_t bucket);
  static int64_t BucketHigh(size_t bucket);

 private:
  std::array<uint64_t, kBucketCount> buckets_{};
  uint64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace myriad::loadtest
