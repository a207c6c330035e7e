#include "congestion/BitrateMeter.h"

#include <algorithm>

namespace myriad::congestion {

void BitrateMeter::OnPacket(size_t bytes, int64_t nowMs) {
  if (firstMs_ < 0) firstMs_ = nowMs;
  const int64_t index = nowMs / kBucketMs;
  Bucket& bucket = buckets_[static_cast<size_t>(index) % kBuckets];
  if (bucket.index != index) bucket = Bucket{index, 0};
  bucket.bytes += bytes;
}

int64_t BitrateMeter::RateBps(int64_t nowMs) const {
  if (firstMs_ < 0) return 0;
  const int64_t newest = nowMs / kBucketMs;
  const int64_t oldest = newest - static_cast<int64_t>(kBuckets) + 1;
  uint64_t bytes = 0;
  for (const Bucket& bucket : buckets_) {
    if (bucket.index >= oldest && bucket.index <= newest) bytes += bucket.bytes;
  }
  const int64_t spanMs = std::clamp(nowMs - firstMs_, kBucketMs, kWindowMs);
  return static_cast<int64_t>(bytes * 8 * 1000 / static_cast<uint64_t>(spanMs));
}

}  // namespace myriad::congestion
