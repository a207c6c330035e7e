#include "loadtest/LoadStats.h"

namespace myriad::loadtest {

void LoadStats::AddError(const std::string& error) {
  // Many participants fail the same way; a bounded key keeps the map small.
  ++errors[error.size() > 120 ? error.substr(0, 120) + "..." : error];
}

void LoadStats::Merge(const LoadStats& other) {
  joinsAttempted += other.joinsAttempted;
  joinsCompleted += other.joinsCompleted;
  joinsFailed += other.joinsFailed;
  negotiationsFailed += other.negotiationsFailed;
  transportsConnected += other.transportsConnected;
  transportsFailed += other.transportsFailed;
  for (const auto& [error, count] : other.errors) errors[error] += count;
  audioSent += other.audioSent;
  videoSent += other.videoSent;
  notSent += other.notSent;
  audioReceived += other.audioReceived;
  videoReceived += other.videoReceived;
  lost += other.lost;
  foreign += other.foreign;
  unmatched += other.unmatched;
  nonTalkerPackets += other.nonTalkerPackets;
  silentPackets += other.silentPackets;
  speakersMessages += other.speakersMessages;
  joinTime.Merge(other.joinTime);
  connectTime.Merge(other.connectTime);
  latency.Merge(other.latency);
  audioLatency.Merge(other.audioLatency);
  videoLatency.Merge(other.videoLatency);
  firstAudio.Merge(other.firstAudio);
}

}  // namespace myriad::loadtest
