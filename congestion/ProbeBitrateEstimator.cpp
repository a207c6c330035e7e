#include "congestion/ProbeBitrateEstimator.h"

#include <algorithm>

namespace myriad::congestion {

ProbeBitrateEstimator::Cluster* ProbeBitrateEstimator::Find(int clusterId) {
  for (Cluster& cluster : clusters_) {
    if (cluster.id == clusterId) return &cluster;
  }
  return nullptr;
}

void ProbeBitrateEstimator::OnProbePacketSent(int clusterId, Timestamp sendTime) {
  if (clusterId < 0) return;
  Cluster* cluster = Find(clusterId);
  if (cluster == nullptr) {
    cluster = &*std::min_element(clusters_.begin(), clusters_.end(),
                                 [](const Cluster& a, const Cluster& b) {
                                   // Free slots first, then the oldest cluster.
                                   if ((a.id < 0) != (b.id < 0)) return a.id < 0;
                                   return a.created < b.created;
                                 });
    *cluster = Cluster{};
    cluster->id = clusterId;
    cluster->created = sendTime;
  }
  ++cluster->sentPackets;
}

std::optional<DataRate> ProbeBitrateEstimator::OnProbePacketAcknowledged(int clusterId,
                                                                         size_t bytes,
                                                                         Timestamp sendTime,
                                                                         Timestamp arrivalTime) {
  Cluster* cluster = clusterId < 0 ? nullptr : Find(clusterId);
  if (cluster == nullptr) return std::nullopt;
  const auto size = static_cast<int64_t>(bytes);
  if (cluster->receivedPackets == 0) {
    cluster->firstSend = cluster->lastSend = sendTime;
    cluster->firstArrival = cluster->lastArrival = arrivalTime;
    cluster->lastSendBytes = cluster->firstArrivalBytes = size;
  } else {
    cluster->firstSend = std::min(cluster->firstSend, sendTime);
    if (sendTime >= cluster->lastSend) {
      cluster->lastSend = sendTime;
      cluster->lastSendBytes = size;
    }
    if (arrivalTime < cluster->firstArrival) {
      cluster->firstArrival = arrivalTime;
      cluster->firstArrivalBytes = size;
    }
    cluster->lastArrival = std::max(cluster->lastArrival, arrivalTime);
  }
  ++cluster->receivedPackets;
  cluster->receivedBytes += size;

  const std::optional<DataRate> rate = Estimate(*cluster);
  if (rate) pending_ = Result{clusterId, *rate};
  return rate;
}

std::optional<DataRate> ProbeBitrateEstimator::Estimate(const Cluster& cluster) const {
  if (cluster.receivedPackets < static_cast<int64_t>(kMinReceivedPackets)) return std::nullopt;
  if (static_cast<double>(cluster.receivedPackets) <
      kMinReceivedRatio * static_cast<double>(cluster.sentPackets)) {
    return std::nullopt;
  }
  const TimeDelta sendInterval = cluster.lastSend - cluster.firstSend;
  const TimeDelta receiveInterval = cluster.lastArrival - cluster.firstArrival;
  if (sendInterval <= TimeDelta::Zero() || sendInterval > kMaxInterval ||
      receiveInterval <= TimeDelta::Zero() || receiveInterval > kMaxInterval) {
    return std::nullopt;
  }
  const DataRate sendRate =
      DataRate::FromBytesPer(cluster.receivedBytes - cluster.lastSendBytes, sendInterval);
  const DataRate receiveRate =
      DataRate::FromBytesPer(cluster.receivedBytes - cluster.firstArrivalBytes, receiveInterval);
  if (receiveRate < sendRate * kSaturatedRatio) return receiveRate * kSaturatedUtilization;
  return std::min(sendRate, receiveRate);
}

std::optional<ProbeBitrateEstimator::Result> ProbeBitrateEstimator::FetchResult() {
  std::optional<Result> result = pending_;
  pending_.reset();
  return result;
}

}  // namespace myriad::congestion
