// The command line: flags, their errors, and overrides of a scenario.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "loadtest/LoadtestCommandLine.h"

namespace myriad::loadtest {
namespace {

using Options = LoadtestCommandLine::Options;

Options Parsed(const std::vector<std::string>& arguments) {
  std::string error;
  const auto options = LoadtestCommandLine::Parse(arguments, &error);
  INFO(error);
  REQUIRE(options.has_value());
  return *options;
}

}  // namespace

TEST_CASE("LoadtestCommandLine reads every flag, with a space or '='", "[loadtest]") {
  const auto options = Parsed({"--scenario",
                               "grid-49",
                               "--server=127.0.0.2:9000",
                               "--server-pid",
                               "123",
                               "--threads",
                               "2",
                               "--report",
                               "r.json",
                               "--participants",
                               "50",
                               "--duration=7.5",
                               "--seed",
                               "4",
                               "--join-rate",
                               "20",
                               "--rooms",
                               "2",
                               "--audio-slots",
                               "5",
                               "--max-run-seconds",
                               "60",
                               "--max-loss-percent",
                               "0.5",
                               "--max-p99-latency-ms=80",
                               "--min-joined-percent",
                               "99",
                               "--max-server-rss-kb-per-participant",
                               "300",
                               "--quiet"});
  CHECK(options.scenario == "grid-49");
  CHECK(options.host == "127.0.0.2");
  CHECK(options.port == 9000);
  CHECK(options.serverPid == 123);
  CHECK(options.threads == 2);
  CHECK(options.reportPath == "r.json");
  CHECK(options.participants == 50u);
  CHECK(options.durationSeconds == 7.5);
  CHECK(options.seed == 4u);
  CHECK(options.joinRatePerSecond == 20.0);
  CHECK(options.rooms == 2u);
  CHECK(options.audioSlots == 5u);
  CHECK(options.maxRunSeconds == 60.0);
  CHECK(options.thresholds.maxLossPercent == 0.5);
  CHECK(options.thresholds.maxP99LatencyMs == 80.0);
  CHECK(options.thresholds.minJoinedPercent == 99.0);
  CHECK(options.thresholds.maxServerRssKbPerParticipant == 300.0);
  CHECK(options.quiet);
}

TEST_CASE("LoadtestCommandLine names what is wrong", "[loadtest]") {
  struct Row {
    std::vector<std::string> arguments;
    const char* error;
  };
  const auto row = GENERATE(
      Row{{"--bogus"}, "unknown option --bogus"},
      Row{{"--participants"}, "--participants needs a value"},
      Row{{"--participants", "-3"}, "--participants: \"-3\" is not a non-negative integer"},
      Row{{"--duration", "0"}, "--duration: \"0\" is not a positive number"},
      Row{{"--server", "7880"}, "--server: \"7880\" is not HOST:PORT"},
      Row{{"--server", "127.0.0.1:99999"}, "--server: \"127.0.0.1:99999\" is not HOST:PORT"},
      Row{{"--threads", "0"}, "--threads: \"0\" is not 1..64"},
      Row{{"--max-loss-percent", "x"}, "--max-loss-percent: \"x\" is not a non-negative number"},
      Row{{"--server", "127.0.0.1:1", "--spawn-server", "bin/myriad"},
          "--server and --spawn-server exclude each other"});
  std::string error;
  CHECK_FALSE(LoadtestCommandLine::Parse(row.arguments, &error));
  CHECK(error == row.error);
}

TEST_CASE("Threshold flags are the scenario keys in kebab case", "[loadtest]") {
  CHECK(LoadtestCommandLine::FlagOf("maxLossPercent") == "--max-loss-percent");
  CHECK(LoadtestCommandLine::FlagOf("maxP99LatencyMs") == "--max-p99-latency-ms");
  CHECK(LoadtestCommandLine::FlagOf("maxMessagesPerParticipantPerSecond") ==
        "--max-messages-per-participant-per-second");
  for (const auto& name : Thresholds::Names()) {
    CHECK(LoadtestCommandLine::Usage().find(LoadtestCommandLine::FlagOf(name)) !=
          std::string::npos);
  }
}

TEST_CASE("Command-line values override the scenario's", "[loadtest]") {
  Scenario scenario;
  scenario.participants = 1000;
  scenario.audioSubscribers = 800;
  scenario.videoPublishers = 50;
  scenario.durationSeconds = 60;
  scenario.maxRunSeconds = 90;
  scenario.thresholds.maxLossPercent = 1;
  scenario.thresholds.maxP99LatencyMs = 100;
  const auto options = Parsed({"--participants", "40", "--duration", "120", "--seed", "7",
                               "--audio-slots", "4", "--max-loss-percent", "2"});
  LoadtestCommandLine::ApplyOverrides(options, scenario);
  CHECK(scenario.participants == 40);
  CHECK(scenario.AudioPublisherCount() == 40);
  CHECK(scenario.AudioSubscriberCount() == 40);
  CHECK(scenario.videoPublishers == 40);
  CHECK(scenario.durationSeconds == 120);
  CHECK(scenario.EffectiveMaxRunSeconds() >= 120);
  CHECK(scenario.seed == 7);
  CHECK(scenario.impairment.seed == 7);  // the loss pattern changes with the seed too
  CHECK(scenario.server.audioSlots == 4u);
  CHECK(scenario.thresholds.maxLossPercent == 2.0);
  CHECK(scenario.thresholds.maxP99LatencyMs == 100.0);  // kept
  CHECK(scenario.Validate().empty());
}

TEST_CASE("Command-line values override the impairment and the control traffic", "[loadtest]") {
  Scenario scenario;
  scenario.durationSeconds = 60;
  scenario.impairment.oneWayDelayMs = 30;
  scenario.impairment.lossPercent = 5;
  scenario.control.messages = 10000;
  const auto options =
      Parsed({"--loss-percent", "2.5", "--one-way-delay-ms=20", "--control-messages", "500",
              "--control-rate", "100", "--min-control-delivered-percent", "99"});
  LoadtestCommandLine::ApplyOverrides(options, scenario);
  CHECK(scenario.impairment.lossPercent == 2.5);
  CHECK(scenario.impairment.oneWayDelayMs == 20);
  CHECK(scenario.control.messages == 500);
  CHECK(scenario.control.ratePerSecond == 100);
  CHECK(scenario.thresholds.minControlDeliveredPercent == 99.0);
  std::string error;
  CHECK_FALSE(LoadtestCommandLine::Parse({"--loss-percent", "120"}, &error).has_value());
  CHECK(error == "--loss-percent: \"120\" is not a percentage");
}

TEST_CASE("--control-path picks the control requests' path; --allow-netns-target is opt-in",
          "[loadtest]") {
  Scenario scenario;
  scenario.control.messages = 100;
  CHECK_FALSE(Parsed({}).allowNetnsTarget);
  CHECK(Parsed({"--allow-netns-target"}).allowNetnsTarget);
  auto options = Parsed({"--control-path", "websocket"});
  LoadtestCommandLine::ApplyOverrides(options, scenario);
  CHECK_FALSE(scenario.control.dataChannel);
  options = Parsed({"--control-path=datachannel"});
  LoadtestCommandLine::ApplyOverrides(options, scenario);
  CHECK(scenario.control.dataChannel);
  // Without the flag the scenario's choice stands.
  scenario.control.dataChannel = false;
  LoadtestCommandLine::ApplyOverrides(Parsed({}), scenario);
  CHECK_FALSE(scenario.control.dataChannel);
  std::string error;
  CHECK_FALSE(LoadtestCommandLine::Parse({"--control-path", "tcp"}, &error).has_value());
  CHECK(error == "--control-path: \"tcp\" is not datachannel or websocket");
}

TEST_CASE("--client-network gives the clients a routable private network", "[loadtest]") {
  CHECK_FALSE(Parsed({}).clientNetwork.has_value());
  const auto options = Parsed({"--client-network", "10.97.0.0/16"});
  REQUIRE(options.clientNetwork.has_value());
  CHECK(options.clientNetwork->ToString() == "10.97.0.0/16");
  std::string error;
  CHECK_FALSE(LoadtestCommandLine::Parse({"--client-network", "1.2.3.0/24"}, &error).has_value());
  CHECK(error ==
        "--client-network: \"1.2.3.0/24\" is not inside 127.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12 "
        "or 192.168.0.0/16");
}

}  // namespace myriad::loadtest
