// The report's arithmetic and its JSON shape (what CI scripts read).

#include <catch2/catch.hpp>

#include "loadtest/RunReport.h"

namespace myriad::loadtest {

TEST_CASE("RunReport distributions come from microsecond histograms in milliseconds",
          "[loadtest]") {
  LatencyHistogram histogram;
  for (int64_t us = 1000; us <= 100'000; us += 1000) histogram.Record(us);
  const auto d = RunReport::Distribution::FromMicros(histogram);
  CHECK(d.count == 100);
  CHECK(d.p50 == Approx(50).epsilon(0.004));
  CHECK(d.p95 == Approx(95).epsilon(0.004));
  CHECK(d.p99 == Approx(99).epsilon(0.004));
  CHECK(d.max == 100);
  CHECK(d.mean == Approx(50.5));
  const auto empty = RunReport::Distribution::FromMicros(LatencyHistogram());
  CHECK(empty.count == 0);
  CHECK(empty.p99 == 0);
}

TEST_CASE("RunReport percentages", "[loadtest]") {
  RunReport report;
  CHECK(report.joins.JoinedPercent() == 0);
  CHECK(report.packets.LossPercent() == 0);
  report.joins.attempted = 8;
  report.joins.completed = 6;
  CHECK(report.joins.JoinedPercent() == 75);
  report.packets.received = 990;
  report.packets.lost = 10;
  CHECK(report.packets.LossPercent() == Approx(1.0));
}

TEST_CASE("RunReport JSON carries every section and the verdict", "[loadtest]") {
  RunReport report;
  report.scenario = "smoke";
  report.joins.attempted = 2;
  report.joins.completed = 1;
  report.joins.failed = 1;
  report.joins.errors["join: room_full: the room is full"] = 1;
  report.thresholds.push_back(ThresholdResult{"minJoinedPercent", 100, 50.0, false, "50 < 100"});
  const auto json = report.ToJson();
  for (const char* key :
       {"scenario", "joins", "joinTimeMs", "connectTimeMs", "packets", "latencyMs",
        "audioLatencyMs", "videoLatencyMs", "firstAudioMs", "speakerSwitchMs", "speakers",
        "signallingMessages", "generator", "server", "thresholds", "passed"}) {
    CHECK(json.contains(key));
  }
  CHECK(json["joins"]["joinedPercent"] == 50.0);
  CHECK(json["joins"]["errors"]["join: room_full: the room is full"] == 1);
  CHECK(json["thresholds"][0]["actual"] == 50.0);
  CHECK(json["passed"] == false);
  CHECK(report.Summary().find("threshold minJoinedPercent: MISSED (50 < 100)") !=
        std::string::npos);
  CHECK(report.Summary().find("FAIL") != std::string::npos);
  report.thresholds.clear();
  CHECK(report.ToJson()["passed"] == true);
  report.failure = "server unreachable";
  CHECK(report.ToJson()["passed"] == false);
  CHECK(report.Summary().find("RUN FAILED: server unreachable") != std::string::npos);
}

TEST_CASE("RunReport control: one-way shares count unanswered requests as late", "[loadtest]") {
  RunReport report;
  report.control.enabled = true;
  report.control.dataChannel = true;
  report.control.planned = 100;
  report.control.delivered = 98;  // 2 never answered
  report.control.acked = 96;      // 2 refused: no server times
  CHECK_FALSE(report.ToJson()["control"].contains("oneWay"));
  CHECK(report.Summary().find("one way") == std::string::npos);

  CHECK(report.control.UplinkWithin200MsPercent() == 0);
  report.control.oneWay = RunReport::Control::OneWay{};
  report.control.oneWay->samples = 96;
  report.control.oneWay->uplinkWithin200Ms = 95;
  report.control.oneWay->downlinkWithin200Ms = 90;
  // Of 96 measured + 2 unanswered.
  CHECK(report.control.UplinkWithin200MsPercent() == Approx(100.0 * 95 / 98));
  CHECK(report.control.DownlinkWithin200MsPercent() == Approx(100.0 * 90 / 98));
  const auto oneWay = report.ToJson()["control"]["oneWay"];
  CHECK(oneWay["samples"] == 96);
  CHECK(oneWay["uplinkWithin200MsPercent"].get<double>() == Approx(100.0 * 95 / 98));
  for (const char* key : {"uplinkMs", "downlinkMs", "atServerMs"}) CHECK(oneWay.contains(key));
  CHECK(report.Summary().find("uplink 96.94% within 200 ms") != std::string::npos);
  CHECK(report.Summary().find("downlink 91.84% within 200 ms") != std::string::npos);
}

}  // namespace myriad::loadtest
