#pragma once

#include <cstdint>

#include "loadtest/LatencyHistogram.h"

namespace myriad::loadtest {

// Splits control round trips into their two one-way deliveries: request
// handed to the client -> its arrival at the server (uplink), and the reply
// queued at the server -> handled by the client (downlink). The server's
// `ack` says when it received the request and queued the reply on its
// monotonic clock (docs/protocol.md "Conference control"); that clock is
// the generator's only when both run on one host (a spawned server, or one
// in a network namespace of this machine).
//
// Whether they share a clock is read from the samples, not assumed: a
// server on another host has an unrelated monotonic clock, and some
// request then arrives "before it was sent" or its reply "before it
// left". One such sample (beyond kClockToleranceUs, which covers the
// server's conversion of the kernel's receive timestamp) and the split is
// not reported at all. Pure logic over microseconds.
class ControlOneWayDelays {
 public:
  static constexpr int64_t kClockToleranceUs = 1000;

  // `withinUs`: the delivery time that counts as on time (200 ms).
  explicit ControlOneWayDelays(int64_t withinUs) : withinUs_(withinUs) {}

  // One answered request: `sentUs` and `replyUs` on the generator's clock,
  // `serverReceivedUs` and `serverRepliedUs` from its `ack`.
  void Add(int64_t sentUs, int64_t serverReceivedUs, int64_t serverRepliedUs, int64_t replyUs);

  // Every sample fits one clock (and there is at least one).
  bool SharedClock() const { return samples_ > 0 && !inconsistent_; }
  uint64_t Samples() const { return samples_; }
  // Samples delivered within `withinUs` that way.
  uint64_t UplinkWithin() const { return uplinkWithin_; }
  uint64_t DownlinkWithin() const { return downlinkWithin_; }
  const LatencyHistogram& Uplink() const { return uplink_; }
  const LatencyHistogram& Downlink() const { return downlink_; }
  // Time the server held the request: arrival to the reply queued.
  const LatencyHistogram& AtServer() const { return atServer_; }

 private:
  int64_t withinUs_;
  uint64_t samples_ = 0;
  uint64_t uplinkWithin_ = 0;
  uint64_t downlinkWithin_ = 0;
  bool inconsistent_ = false;
  LatencyHistogram uplink_;
  LatencyHistogram downlink_;
  LatencyHistogram atServer_;
};

}  // namespace myriad::loadtest
