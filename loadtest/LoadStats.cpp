#include "loadtest/LoadStats.h"

namespace myriad::loadtest {

void LoadStats::AddError(const std::string& error) {
  // Many participants fail the same way; a bounded key keeps the map small.
  ++errors[error.size() > 120 ? error.substr(0, 120) + "..." : error];
}

void LoadStats::PrepareHeardAudio(uint32_t publishers, size_t perPublisher) {
  heardAudioSendTimes.assign(publishers, {});
  for (auto& times : heardAudioSendTimes) times.reserve(perPublisher);
  lastHeardAudioSendTime.assign(publishers, -1);
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
  if (heardAudioSendTimes.size() < other.heardAudioSendTimes.size()) {
    heardAudioSendTimes.resize(other.heardAudioSendTimes.size());
  }
  for (size_t p = 0; p < other.heardAudioSendTimes.size(); ++p) {
    heardAudioSendTimes[p].insert(heardAudioSendTimes[p].end(),
                                  other.heardAudioSendTimes[p].begin(),
                                  other.heardAudioSendTimes[p].end());
  }
}

}  // namespace myriad::loadtest
