// Conference control through the load generator's impairment path (issue 6): 200
// participants, each behind its own link of 30 ms each way and 5% random loss each way,
// send 10,000 control requests on their `myriad-control` data channels while all of them
// publish audio and hear the three loudest. Every request must be answered, every host
// action must reach its owner, and no audio packet a muted microphone sent after the mute's
// ack may reach anyone. The share within 200 ms is reported, not asserted (the benchmark,
// docs/benchmarks.md, tracks it).

#include <catch2/catch.hpp>
#include <cstdint>
#include <iostream>

#include "loadtest/LoadRun.h"
#include "loadtest/RunReport.h"
#include "loadtest/Scenario.h"
#include "tests/integration/InProcessServer.h"

namespace myriad::integration {
namespace {

using loadtest::LoadRun;
using loadtest::Scenario;

// The definition of loadtest/scenarios/control-200.json, so the CI run and the tool's agree.
Scenario ControlScenario() {
  Scenario scenario;
  scenario.name = "control-200-test";
  scenario.room = "control";
  scenario.participants = 200;
  scenario.durationSeconds = 38;
  scenario.maxRunSeconds = 90;
  scenario.joinRatePerSecond = 100;
  scenario.seed = 1;
  scenario.audio.talkingShare = 0.05;
  scenario.impairment.oneWayDelayMs = 30;
  scenario.impairment.lossPercent = 5;
  scenario.impairment.seed = 1;
  scenario.control.messages = 10000;
  scenario.control.ratePerSecond = 400;
  scenario.control.dataChannel = true;
  scenario.control.hosts = 4;
  scenario.control.holdMs = 500;
  scenario.control.startSeconds = 8;
  scenario.thresholds.minJoinedPercent = 100;
  scenario.thresholds.minControlDeliveredPercent = 100;
  scenario.thresholds.minControlNotifiedPercent = 100;
  scenario.thresholds.maxMutedPacketViolations = 0;
  return scenario;
}

// A small room's control load: 20 participants, 200 requests at 50 a second, 2 hosts.
Scenario SmallControlScenario(const char* name, uint32_t durationSeconds, double startSeconds) {
  Scenario scenario = ControlScenario();
  scenario.name = name;
  scenario.participants = 20;
  scenario.durationSeconds = durationSeconds;
  scenario.audio.talkingShare = 0.2;
  scenario.control.messages = 200;
  scenario.control.ratePerSecond = 50;
  scenario.control.hosts = 2;
  scenario.control.startSeconds = startSeconds;
  return scenario;
}

loadtest::RunReport RunAgainst(const InProcessServer& server, const Scenario& scenario) {
  LoadRun::Options options;
  options.scenario = scenario;
  options.port = server.HttpPort();
  LoadRun run(options);
  return run.Run();
}

}  // namespace

TEST_CASE(
    "Control load on a clean path: every request of a small room answered, host actions "
    "reach their owners, mutes hold in the router",
    "[integration][control][loadtest]") {
  InProcessServer server([](config::ServerConfig& config) { config.rooms.audioSlots = 3; });
  Scenario scenario = SmallControlScenario("control-small-test", 10, 2);
  scenario.impairment = Scenario::Impairment{};
  REQUIRE(scenario.Validate().empty());

  const auto report = RunAgainst(server, scenario);
  INFO(report.ToJson().dump(2));
  REQUIRE(report.failure.empty());
  CHECK_FALSE(report.impairment.enabled);
  const auto& control = report.control;
  CHECK(control.channelsOpened == scenario.participants);
  CHECK(control.planned == 200);
  CHECK(control.delivered == 200);
  CHECK(control.acked == 200);
  CHECK(control.notificationsExpected > 0);
  CHECK(control.notificationsDelivered == control.notificationsExpected);
  CHECK(control.mutesAccepted > 0);
  CHECK(control.mutedPacketViolations == 0);
  // Loopback: every reply well within 200 ms.
  CHECK(control.deliveredWithin200Ms == control.delivered);
  CHECK(report.ThresholdsPassed());
}

TEST_CASE(
    "Control load through the generator's impairment relay (a real UDP hop): a small room at 5% "
    "loss and 60 ms RTT gets every request answered and every host action to its owner",
    "[integration][control][loadtest]") {
  InProcessServer server([](config::ServerConfig& config) { config.rooms.audioSlots = 3; });
  Scenario scenario = SmallControlScenario("control-relay-test", 12, 3);
  scenario.impairment.path = Scenario::Impairment::Path::kRelay;
  REQUIRE(scenario.Validate().empty());

  const auto report = RunAgainst(server, scenario);
  INFO(report.ToJson().dump(2));
  REQUIRE(report.failure.empty());
  REQUIRE(report.impairment.enabled);
  CHECK(report.impairment.path == "relay");
  // Every participant got its own mapping at the relay, and met the loss asked for.
  CHECK(report.impairment.mappings == scenario.participants);
  CHECK(report.impairment.MeasuredLossPercent() > 4.0);
  CHECK(report.impairment.MeasuredLossPercent() < 6.0);
  CHECK(report.impairment.otherDrops == 0);
  const auto& control = report.control;
  CHECK(control.channelsOpened == scenario.participants);
  CHECK(control.delivered == control.planned);
  CHECK(control.notificationsDelivered == control.notificationsExpected);
  CHECK(control.mutedPacketViolations == 0);
  CHECK(report.ThresholdsPassed());
}

// 200 simulated participants with SCTP associations, their audio and the impairment need an
// optimised build of the generator: at -O0 its JSON handling alone falls behind, and the round
// trips would measure the generator. CI builds RelWithDebInfo (scripts/test.sh); a Debug build
// has the small case above only.
#ifdef NDEBUG
TEST_CASE(
    "Through the impairment path of the load generator: 10,000 control requests of 200 "
    "participants at 5% loss and 60 ms RTT are all delivered, and a muted microphone is heard "
    "by no one after the ack",
    "[integration][control][loadtest]") {
  InProcessServer server([](config::ServerConfig& config) { config.rooms.audioSlots = 3; });
  const Scenario scenario = ControlScenario();
  REQUIRE(scenario.Validate().empty());

  LoadRun::Options options;
  options.scenario = scenario;
  options.port = server.HttpPort();
  // One generator thread saturates with 200 SCTP associations (the control round trip then
  // measures the generator's queue); two keep up. The impairment runs in-process (the
  // scenario's default): through the relay the generator needs a third more CPU, which the
  // server, sharing the CI machine's two cores, pays for in scheduling delay.
  options.threads = 2;
  LoadRun run(options);
  const auto report = run.Run();
  INFO(report.ToJson().dump(2));
  std::cout << report.Summary();
  REQUIRE(report.failure.empty());

  CHECK(report.joins.completed == scenario.participants);
  CHECK(report.joins.transportsConnected == scenario.participants);
  // The generator kept its schedule: the results are about the server and the path.
  CHECK(report.packets.NotSentPercent() < 1.0);
  // The path was what the scenario asked for.
  REQUIRE(report.impairment.enabled);
  CHECK(report.impairment.path == "in-process");
  CHECK(report.impairment.mappings == scenario.participants);
  CHECK(report.impairment.MeasuredLossPercent() > 4.5);
  CHECK(report.impairment.MeasuredLossPercent() < 5.5);
  CHECK(report.impairment.otherDrops == 0);

  const auto& control = report.control;
  REQUIRE(control.enabled);
  CHECK(control.channelsOpened == scenario.participants);
  CHECK(control.planned == scenario.control.messages);
  // 100% delivered: every request answered, none refused, none left unsent.
  CHECK(control.unsent == 0);
  CHECK(control.timedOut == 0);
  CHECK(control.delivered == control.planned);
  // None refused, but for an owner's unmute that a later cycle's lock overtook on a slow path
  // (the policy's right answer; see RunReport::Control::overtaken).
  CHECK(control.acked + control.overtaken == control.delivered);
  CHECK(control.overtaken <= control.delivered / 1000);
  CHECK(control.notificationsExpected > 0);
  CHECK(control.notificationsDelivered == control.notificationsExpected);
  // The router: nothing of a muted track after the ack, and the check saw tracks being heard
  // when they were muted.
  CHECK(control.mutedPacketViolations == 0);
  CHECK(control.mutesAccepted > 1000);
  CHECK(control.mutesOfHeardTracks > 50);
  // Every request and every copy crossed a lossy path: the duplicates show the copies work.
  CHECK(control.copiesSent >= control.sent);
  CHECK(control.duplicatesReceived > 0);
  CHECK(report.ThresholdsPassed());
}

#endif  // NDEBUG

}  // namespace myriad::integration
