#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace myriad::congestion {

// The rate of a packet stream over the last second, in fixed buckets so a
// packet costs two additions and no allocation: what a publisher actually
// sends on one simulcast encoding (the allocator compares it with what a
// subscriber can take), or what the server sends a subscriber.
//
// Pure logic, time passed in (milliseconds on any monotonic clock).
class BitrateMeter {
 public:
  static constexpr int64_t kBucketMs = 100;
  static constexpr size_t kBuckets = 10;  // a one-second window
  static constexpr int64_t kWindowMs = kBucketMs * static_cast<int64_t>(kBuckets);

  void OnPacket(size_t bytes, int64_t nowMs);
  // Bits per second over the window ending at `nowMs`. Until a whole window
  // has passed since the first packet, over the time since that packet
  // (at least one bucket), so a new stream is not under-reported.
  int64_t RateBps(int64_t nowMs) const;

 private:
  struct Bucket {
    int64_t index = -1;  // nowMs / kBucketMs of the bytes it holds
    uint64_t bytes = 0;
  };
  std::array<Bucket, kBuckets> buckets_{};
  int64_t firstMs_ = -1;
};

}  // namespace myriad::congestion
