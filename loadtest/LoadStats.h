#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "loadtest/LatencyHistogram.h"

namespace myriad::loadtest {

// Counters and distributions one shard of a run collects on its thread;
// LoadRun merges the shards' after the run. Histograms are in microseconds.
struct LoadStats {
  uint64_t joinsAttempted = 0;
  uint64_t joinsCompleted = 0;
  uint64_t joinsFailed = 0;
  uint64_t negotiationsFailed = 0;  // publish, slots or viewport offers
  uint64_t transportsConnected = 0;
  uint64_t transportsFailed = 0;
  std::map<std::string, uint64_t> errors;

  uint64_t audioSent = 0;
  uint64_t videoSent = 0;
  uint64_t notSent = 0;  // due while the generator was too far behind, or refused by the socket
  uint64_t audioReceived = 0;
  uint64_t videoReceived = 0;
  uint64_t lost = 0;
  uint64_t foreign = 0;    // no valid LoadtestPayload record
  uint64_t unmatched = 0;  // an SSRC no answer announced (yet)

  uint64_t nonTalkerPackets = 0;
  uint64_t silentPackets = 0;
  uint64_t speakersMessages = 0;

  LatencyHistogram joinTime;
  LatencyHistogram connectTime;
  LatencyHistogram latency;
  LatencyHistogram audioLatency;
  LatencyHistogram videoLatency;
  LatencyHistogram firstAudio;

  // With conference control: the send times of the audio packets of each
  // publisher (by index) that reached any subscriber of the shard, each
  // once as far as consecutive arrivals show (LoadRun sorts and dedupes).
  std::vector<std::vector<int64_t>> heardAudioSendTimes;
  std::vector<int64_t> lastHeardAudioSendTime;
  // Reserves room for `publishers` x `perPublisher` send times up front.
  void PrepareHeardAudio(uint32_t publishers, size_t perPublisher);
  void RecordHeardAudio(uint32_t publisher, int64_t sendTimeUs) {
    if (publisher >= heardAudioSendTimes.size()) return;
    if (lastHeardAudioSendTime[publisher] == sendTimeUs) return;
    lastHeardAudioSendTime[publisher] = sendTimeUs;
    heardAudioSendTimes[publisher].push_back(sendTimeUs);
  }

  // The largest latency since the shard last reported progress (not merged).
  int64_t recentMaxLatencyUs = 0;

  void AddError(const std::string& error);
  void Merge(const LoadStats& other);
};

}  // namespace myriad::loadtest
