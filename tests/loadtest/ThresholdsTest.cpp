// Thresholds against a report: what passes, what is missed, and what cannot
// be measured.

#include <catch2/catch.hpp>

#include "loadtest/RunReport.h"
#include "loadtest/Thresholds.h"

namespace myriad::loadtest {
namespace {

RunReport GoodReport() {
  RunReport report;
  report.joins.attempted = 100;
  report.joins.completed = 100;
  report.joinTime.count = 100;
  report.joinTime.p95 = 80;
  report.packets.received = 9900;
  report.packets.lost = 100;  // 1%
  report.latency.count = 9900;
  report.latency.p99 = 30;
  report.firstAudio.count = 100;
  report.firstAudio.p95 = 900;
  report.speakerSwitch.count = 50;
  report.speakerSwitch.p95 = 400;
  report.speakers.nonTalkerPackets = 0;
  report.messages.meanPerParticipantPerSecond = 2.5;
  report.server.measured = true;
  report.server.cpuCores = 0.8;
  report.server.rssKbPerParticipant = 120;
  report.control.enabled = true;
  report.control.planned = 1000;
  report.control.delivered = 1000;
  report.control.deliveredWithin200Ms = 990;  // 99%
  report.control.notificationsExpected = 200;
  report.control.notificationsDelivered = 200;
  report.control.mutedPacketViolations = 0;
  return report;
}

const ThresholdResult& Find(const std::vector<ThresholdResult>& results, const std::string& name) {
  for (const auto& result : results) {
    if (result.name == name) return result;
  }
  FAIL("no result for " << name);
  return results.front();
}

}  // namespace

TEST_CASE("Thresholds compare each set limit with the report", "[loadtest]") {
  struct Row {
    const char* name;
    double limit;
    bool passes;
  };
  const auto row = GENERATE(
      Row{"minJoinedPercent", 100, true}, Row{"minJoinedPercent", 100.1, false},
      Row{"maxJoinP95Ms", 80, true}, Row{"maxJoinP95Ms", 79.9, false},
      Row{"maxLossPercent", 1, true}, Row{"maxLossPercent", 0.99, false},
      Row{"maxP99LatencyMs", 30, true}, Row{"maxP99LatencyMs", 29, false},
      Row{"maxFirstAudioP95Ms", 1000, true}, Row{"maxFirstAudioP95Ms", 800, false},
      Row{"maxSpeakerSwitchP95Ms", 400, true}, Row{"maxSpeakerSwitchP95Ms", 300, false},
      Row{"maxNonTalkerPackets", 0, true}, Row{"maxMessagesPerParticipantPerSecond", 3, true},
      Row{"maxMessagesPerParticipantPerSecond", 2, false}, Row{"maxServerCpuCores", 1, true},
      Row{"maxServerCpuCores", 0.5, false}, Row{"maxServerRssKbPerParticipant", 200, true},
      Row{"maxServerRssKbPerParticipant", 100, false}, Row{"minControlDeliveredPercent", 100, true},
      Row{"minControlNotifiedPercent", 100, true}, Row{"minControlWithin200MsPercent", 99, true},
      Row{"minControlWithin200MsPercent", 99.5, false}, Row{"maxMutedPacketViolations", 0, true});
  INFO(row.name << " " << row.limit);
  Thresholds thresholds;
  REQUIRE(thresholds.Set(row.name, row.limit));
  const auto results = thresholds.Evaluate(GoodReport());
  REQUIRE(results.size() == 1);
  CHECK(results[0].name == row.name);
  CHECK(results[0].limit == row.limit);
  CHECK(results[0].actual.has_value());
  CHECK(results[0].passed == row.passes);
  CHECK(results[0].detail.find(row.passes ? "=" : (row.name[1] == 'i' ? " < " : " > ")) !=
        std::string::npos);
}

TEST_CASE("Thresholds skip server readings without a pid but fail missing samples", "[loadtest]") {
  RunReport report = GoodReport();
  report.server = RunReport::Process{};
  report.firstAudio = RunReport::Distribution{};
  Thresholds thresholds;
  thresholds.maxServerCpuCores = 1;
  thresholds.maxServerRssKbPerParticipant = 100;
  thresholds.maxFirstAudioP95Ms = 1000;
  const auto results = thresholds.Evaluate(report);
  REQUIRE(results.size() == 3);
  CHECK(Find(results, "maxServerCpuCores").passed);
  CHECK_FALSE(Find(results, "maxServerCpuCores").actual.has_value());
  CHECK(Find(results, "maxServerCpuCores").detail.find("not measured") == 0);
  CHECK(Find(results, "maxServerRssKbPerParticipant").passed);
  CHECK_FALSE(Find(results, "maxFirstAudioP95Ms").passed);
  CHECK(Find(results, "maxFirstAudioP95Ms").detail == "no subscriber received audio");
}

TEST_CASE("Control thresholds fail a run that lost a request, leaked a packet or had no control",
          "[loadtest]") {
  RunReport report = GoodReport();
  report.control.delivered = 999;
  report.control.mutedPacketViolations = 1;
  Thresholds thresholds;
  thresholds.minControlDeliveredPercent = 100;
  thresholds.maxMutedPacketViolations = 0;
  auto results = thresholds.Evaluate(report);
  CHECK_FALSE(Find(results, "minControlDeliveredPercent").passed);
  CHECK(Find(results, "minControlDeliveredPercent").detail == "99.90 < 100.00");
  CHECK_FALSE(Find(results, "maxMutedPacketViolations").passed);
  report.control = RunReport::Control{};
  results = thresholds.Evaluate(report);
  CHECK_FALSE(Find(results, "minControlDeliveredPercent").passed);
  CHECK(Find(results, "minControlDeliveredPercent").detail == "no control requests were planned");
  CHECK_FALSE(Find(results, "maxMutedPacketViolations").passed);
}

TEST_CASE("Thresholds merge: set limits win, unset ones are kept", "[loadtest]") {
  Thresholds base;
  base.maxLossPercent = 1;
  base.maxP99LatencyMs = 100;
  Thresholds overrides;
  overrides.maxLossPercent = 3;
  overrides.minJoinedPercent = 95;
  base.Merge(overrides);
  CHECK(base.maxLossPercent == 3.0);
  CHECK(base.maxP99LatencyMs == 100.0);
  CHECK(base.minJoinedPercent == 95.0);
  CHECK(base.ToJson() == nlohmann::json{{"maxLossPercent", 3.0},
                                        {"maxP99LatencyMs", 100.0},
                                        {"minJoinedPercent", 95.0}});
  CHECK_FALSE(base.Set("maxLoss", 1));
  CHECK(Thresholds().Evaluate(GoodReport()).empty());
}

}  // namespace myriad::loadtest
