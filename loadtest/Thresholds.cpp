#include "loadtest/Thresholds.h"

#include <cstdio>

#include "loadtest/RunReport.h"

namespace myriad::loadtest {
namespace {

using Limit = std::optional<double> Thresholds::*;

struct Row {
  const char* name;
  Limit limit;
};

// The one list of thresholds: scenario keys, flags (--max-loss-percent is
// maxLossPercent) and report order.
constexpr Row kRows[] = {
    {"minJoinedPercent", &Thresholds::minJoinedPercent},
    {"maxJoinP95Ms", &Thresholds::maxJoinP95Ms},
    {"maxLossPercent", &Thresholds::maxLossPercent},
    {"maxP99LatencyMs", &Thresholds::maxP99LatencyMs},
    {"maxFirstAudioP95Ms", &Thresholds::maxFirstAudioP95Ms},
    {"maxSpeakerSwitchP95Ms", &Thresholds::maxSpeakerSwitchP95Ms},
    {"maxNonTalkerPackets", &Thresholds::maxNonTalkerPackets},
    {"maxMessagesPerParticipantPerSecond", &Thresholds::maxMessagesPerParticipantPerSecond},
    {"maxServerCpuCores", &Thresholds::maxServerCpuCores},
    {"maxServerRssKbPerParticipant", &Thresholds::maxServerRssKbPerParticipant},
    {"minControlDeliveredPercent", &Thresholds::minControlDeliveredPercent},
    {"minControlNotifiedPercent", &Thresholds::minControlNotifiedPercent},
    {"minControlWithin200MsPercent", &Thresholds::minControlWithin200MsPercent},
    {"maxMutedPacketViolations", &Thresholds::maxMutedPacketViolations},
};

std::string Number(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.2f", value);
  return text;
}

}  // namespace

void Thresholds::Merge(const Thresholds& overrides) {
  for (const auto& row : kRows) {
    if (overrides.*row.limit) this->*row.limit = overrides.*row.limit;
  }
}

bool Thresholds::Set(const std::string& name, double value) {
  for (const auto& row : kRows) {
    if (name == row.name) {
      this->*row.limit = value;
      return true;
    }
  }
  return false;
}

const std::vector<std::string>& Thresholds::Names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> list;
    for (const auto& row : kRows) list.emplace_back(row.name);
    return list;
  }();
  return names;
}

nlohmann::json Thresholds::ToJson() const {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& row : kRows) {
    if (this->*row.limit) json[row.name] = *(this->*row.limit);
  }
  return json;
}

std::vector<ThresholdResult> Thresholds::Evaluate(const RunReport& report) const {
  std::vector<ThresholdResult> results;
  for (const auto& row : kRows) {
    if (!(this->*row.limit)) continue;
    ThresholdResult result;
    result.name = row.name;
    result.limit = *(this->*row.limit);
    const std::string name = row.name;
    const bool isMinimum = name.rfind("min", 0) == 0;
    // What the report says, or why it cannot say (`missing` fails unless
    // `skip`, a server reading the tool could not take).
    std::optional<double> actual;
    std::string missing;
    bool skip = false;
    if (name == "minJoinedPercent") {
      actual = report.joins.JoinedPercent();
    } else if (name == "maxJoinP95Ms") {
      if (report.joinTime.count) actual = report.joinTime.p95;
      missing = "no participant joined";
    } else if (name == "maxLossPercent") {
      if (report.packets.received + report.packets.lost > 0) actual = report.packets.LossPercent();
      missing = "no packet was received";
    } else if (name == "maxP99LatencyMs") {
      if (report.latency.count) actual = report.latency.p99;
      missing = "no packet was received";
    } else if (name == "maxFirstAudioP95Ms") {
      if (report.firstAudio.count) actual = report.firstAudio.p95;
      missing = "no subscriber received audio";
    } else if (name == "maxSpeakerSwitchP95Ms") {
      if (report.speakerSwitch.count) actual = report.speakerSwitch.p95;
      missing = "no speaker switch was observed";
    } else if (name == "maxNonTalkerPackets") {
      actual = static_cast<double>(report.speakers.nonTalkerPackets);
    } else if (name == "maxMessagesPerParticipantPerSecond") {
      if (report.joins.completed) actual = report.messages.meanPerParticipantPerSecond;
      missing = "no participant joined";
    } else if (name == "maxServerCpuCores") {
      if (report.server.measured) actual = report.server.cpuCores;
      missing = "not measured: no server pid (--server-pid or --spawn-server)";
      skip = true;
    } else if (name == "maxServerRssKbPerParticipant") {
      if (report.server.measured && report.joins.completed) {
        actual = report.server.rssKbPerParticipant;
      }
      missing = "not measured: no server pid (--server-pid or --spawn-server)";
      skip = true;
    } else if (name == "minControlDeliveredPercent") {
      if (report.control.planned) actual = report.control.DeliveredPercent();
      missing = "no control requests were planned";
    } else if (name == "minControlNotifiedPercent") {
      if (report.control.notificationsExpected) actual = report.control.NotifiedPercent();
      missing = "no host request was answered";
    } else if (name == "minControlWithin200MsPercent") {
      if (report.control.planned) actual = report.control.Within200MsPercent();
      missing = "no control requests were planned";
    } else if (name == "maxMutedPacketViolations") {
      if (report.control.enabled) {
        actual = static_cast<double>(report.control.mutedPacketViolations);
      }
      missing = "no control traffic";
    }
    result.actual = actual;
    if (!actual) {
      result.passed = skip;
      result.detail = missing;
    } else {
      result.passed = isMinimum ? *actual >= result.limit : *actual <= result.limit;
      result.detail =
          Number(*actual) +
          (result.passed ? (isMinimum ? " >= " : " <= ") : (isMinimum ? " < " : " > ")) +
          Number(result.limit);
    }
    results.push_back(result);
  }
  return results;
}

}  // namespace myriad::loadtest
