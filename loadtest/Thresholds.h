#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace myriad::loadtest {

struct RunReport;

// The outcome of one threshold against a report.
struct ThresholdResult {
  std::string name;  // the scenario key, e.g. "maxLossPercent"
  double limit = 0;
  std::optional<double> actual;  // nullopt: not measured
  bool passed = true;
  std::string detail;  // "loss 2.10% > 1.00%", "not measured: no --server-pid"
};

// Pass/fail limits of a run (scenario `thresholds`, overridden by --max-*
// and --min-* flags). Unset limits are not checked.
struct Thresholds {
  std::optional<double> maxLossPercent;
  std::optional<double> maxP99LatencyMs;
  std::optional<double> maxServerCpuCores;
  std::optional<double> maxServerRssKbPerParticipant;
  std::optional<double> maxMessagesPerParticipantPerSecond;
  std::optional<double> maxFirstAudioP95Ms;
  std::optional<double> maxJoinP95Ms;
  std::optional<double> maxSpeakerSwitchP95Ms;
  std::optional<double> maxNonTalkerPackets;
  std::optional<double> minJoinedPercent;
  std::optional<double> minControlDeliveredPercent;
  std::optional<double> minControlNotifiedPercent;
  std::optional<double> minControlWithin200MsPercent;
  std::optional<double> maxMutedPacketViolations;

  // Every limit set in `overrides` replaces ours.
  void Merge(const Thresholds& overrides);

  // One result per set limit. A server reading the run could not take
  // (no --server-pid) is reported as not measured and passes; a client-side
  // measurement without samples (no subscriber ever got audio) fails.
  std::vector<ThresholdResult> Evaluate(const RunReport& report) const;

  // Sets the limit named like its scenario key; false for an unknown name.
  bool Set(const std::string& name, double value);
  // The scenario keys, in report order.
  static const std::vector<std::string>& Names();
  nlohmann::json ToJson() const;
};

}  // namespace myriad::loadtest
