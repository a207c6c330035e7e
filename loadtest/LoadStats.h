#pragma once

#include <cstdint>
#include <map>
#include <string>

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

  // The largest latency since the shard last reported progress (not merged).
  int64_t recentMaxLatencyUs = 0;

  void AddError(const std::string& error);
  void Merge(const LoadStats& other);
};

}  // namespace myriad::loadtest
