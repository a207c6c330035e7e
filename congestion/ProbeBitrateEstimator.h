#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "congestion/DataRate.h"
#include "congestion/TimeDelta.h"
#include "congestion/Timestamp.h"

namespace myriad::congestion {

// Measures what a probe cluster (a short burst sent at a chosen rate, its packets tagged with
// the cluster id) showed about the path, from the feedback of the cluster's packets.
//
// Send rate: the bytes of the received packets but the last sent, over the time from the first
// to the last send. Receive rate: the bytes of the received packets but the first arrived,
// over the time from the first to the last arrival. (Each interval is spanned by all packets
// but one, so a steady stream measures its rate exactly.) The path carried at least
// min(send rate, receive rate); if the receive rate fell clearly below the send rate
// (kSaturatedRatio) the bottleneck was reached and the result sits a little under it
// (kSaturatedUtilization), where the queue stays short.
//
// A result needs kMinReceivedPackets and kMinReceivedRatio of the packets sent so far (a probe
// that mostly got lost measured nothing) and both intervals positive and at most
// kMaxInterval. Each feedback can refine a cluster's result; FetchResult hands out the newest
// once. A fixed table of kMaxClusters clusters, the oldest reused first.
class ProbeBitrateEstimator {
 public:
  static constexpr size_t kMaxClusters = 8;
  static constexpr size_t kMinReceivedPackets = 5;
  static constexpr double kMinReceivedRatio = 0.8;
  static constexpr TimeDelta kMaxInterval = TimeDelta::FromSeconds(1);
  static constexpr double kSaturatedRatio = 0.9;
  static constexpr double kSaturatedUtilization = 0.95;

  struct Result {
    int clusterId = -1;
    DataRate rate;
  };

  void OnProbePacketSent(int clusterId, Timestamp sendTime);
  // A packet of the cluster was acknowledged (arrival on the subscriber's clock). Returns the
  // cluster's result if it has one now.
  std::optional<DataRate> OnProbePacketAcknowledged(int clusterId, size_t bytes, Timestamp sendTime,
                                                    Timestamp arrivalTime);

  // The newest result since the last call, if any.
  std::optional<Result> FetchResult();

 private:
  struct Cluster {
    int id = -1;
    Timestamp created;  // first send, for choosing what to reuse
    int64_t sentPackets = 0;
    int64_t receivedPackets = 0;
    int64_t receivedBytes = 0;
    Timestamp firstSend;
    Timestamp lastSend;
    int64_t lastSendBytes = 0;
    Timestamp firstArrival;
    Timestamp lastArrival;
    int64_t firstArrivalBytes = 0;
  };

  Cluster* Find(int clusterId);
  std::optional<DataRate> Estimate(const Cluster& cluster) const;

  std::array<Cluster, kMaxClusters> clusters_{};
  std::optional<Result> pending_;
};

}  // namespace myriad::congestion
