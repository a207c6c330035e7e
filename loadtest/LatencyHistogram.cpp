#include "loadtest/LatencyHistogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace myriad::loadtest {

size_t LatencyHistogram::BucketOf(int64_t value) {
  if (value < kExactBelow) return static_cast<size_t>(std::max<int64_t>(value, 0));
  const auto unsignedValue = static_cast<uint64_t>(value);
  const int topBit = 63 - std::countl_zero(unsignedValue);  // >= 8
  if (topBit >= kMaxBits) return kBucketCount - 1;
  const int shift = topBit - kSubBucketBits;
  const uint64_t subBucket = (unsignedValue >> shift) - (uint64_t{1} << kSubBucketBits);
  return static_cast<size_t>(kExactBelow) +
         static_cast<size_t>(topBit - 8) * (size_t{1} << kSubBucketBits) +
         static_cast<size_t>(subBucket);
}

int64_t LatencyHistogram::BucketLow(size_t bucket) {
  if (bucket < static_cast<size_t>(kExactBelow)) return static_cast<int64_t>(bucket);
  const size_t offset = bucket - static_cast<size_t>(kExactBelow);
  const int topBit = 8 + static_cast<int>(offset >> kSubBucketBits);
  const int shift = topBit - kSubBucketBits;
  const uint64_t subBucket =
      (offset & ((size_t{1} << kSubBucketBits) - 1)) + (uint64_t{1} << kSubBucketBits);
  return static_cast<int64_t>(subBucket << shift);
}

int64_t LatencyHistogram::BucketHigh(size_t bucket) {
  if (bucket < static_cast<size_t>(kExactBelow)) return static_cast<int64_t>(bucket);
  const size_t offset = bucket - static_cast<size_t>(kExactBelow);
  const int shift = 8 + static_cast<int>(offset >> kSubBucketBits) - kSubBucketBits;
  return BucketLow(bucket) + (int64_t{1} << shift) - 1;
}

void LatencyHistogram::Record(int64_t value) {
  value = std::max<int64_t>(value, 0);
  ++buckets_[BucketOf(value)];
  if (count_ == 0 || value < min_) min_ = value;
  if (count_ == 0 || value > max_) max_ = value;
  ++count_;
  sum_ += static_cast<double>(value);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < kBucketCount; ++i) buckets_[i] += other.buckets_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = count_ == 0 ? other.max_ : std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

double LatencyHistogram::Mean() const {
  return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_);
}

double LatencyHistogram::Percentile(double percent) const {
  if (count_ == 0) return 0;
  percent = std::clamp(percent, 0.0, 100.0);
  // Nearest rank: ceil(p/100 * n), at least the first value.
  const auto rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen < rank) continue;
    const double middle =
        (static_cast<double>(BucketLow(i)) + static_cast<double>(BucketHigh(i))) / 2.0;
    return std::clamp(middle, static_cast<double>(min_), static_cast<double>(max_));
  }
  return static_cast<double>(max_);
}

}  // namespace myriad::loadtest
