// Scenario files: the shipped ones parse, fields land where they belong,
// and mistakes are named.

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "loadtest/ScenarioParser.h"

namespace myriad::loadtest {
namespace {

const std::string kScenarioDirectory = std::string(MYRIAD_SOURCE_DIR) + "/loadtest/scenarios";

std::string ParseError(const std::string& text) {
  std::string error;
  const auto scenario = ScenarioParser::Parse(text, "test", &error);
  CHECK_FALSE(scenario.has_value());
  return error;
}

}  // namespace

TEST_CASE("The shipped scenarios parse and mean what their names say", "[loadtest]") {
  std::string error;
  for (const auto& entry : std::filesystem::directory_iterator(kScenarioDirectory)) {
    INFO(entry.path());
    const auto scenario = ScenarioParser::LoadFile(entry.path().string(), &error);
    INFO(error);
    REQUIRE(scenario.has_value());
    CHECK(scenario->name == entry.path().stem().string());
    CHECK(scenario->EffectiveMaxRunSeconds() >= scenario->durationSeconds);
  }
  const auto freeMic = ScenarioParser::Load("1000-free-mic", kScenarioDirectory, &error);
  REQUIRE(freeMic.has_value());
  CHECK(freeMic->participants == 1000);
  CHECK(freeMic->AudioPublisherCount() == 1000);
  CHECK(freeMic->AudioSubscriberCount() == 1000);
  CHECK(freeMic->audio.talkingShare == 0.05);
  CHECK(freeMic->server.audioSlots == 3u);
  const auto grid = ScenarioParser::Load("grid-49", kScenarioDirectory, &error);
  REQUIRE(grid.has_value());
  CHECK(grid->videoPublishers == 50);
  CHECK(grid->viewport.pageSize == 49);
  CHECK(grid->video.streams.size() == 2);
  for (const auto& stream : grid->video.streams) CHECK(stream.kbps <= 400);
  CHECK(grid->viewport.videoLevel == 1);  // 7x7 tiles of a 1080p screen: 180p
  const auto storm = ScenarioParser::Load("join-storm", kScenarioDirectory, &error);
  REQUIRE(storm.has_value());
  CHECK(storm->participants / storm->joinRatePerSecond <= 10.0);
  const auto control = ScenarioParser::Load("control-200", kScenarioDirectory, &error);
  REQUIRE(control.has_value());
  CHECK(control->participants == 200);
  CHECK(control->impairment.oneWayDelayMs * 2 == 60);
  CHECK(control->impairment.lossPercent == 5);
  // The generator's CPU goes to its clients, not to relaying.
  CHECK(control->impairment.path == Scenario::Impairment::Path::kInProcess);
  CHECK(control->control.messages == 10000);
  CHECK(control->control.dataChannel);
  CHECK(control->thresholds.minControlDeliveredPercent == 100.0);
  CHECK(control->thresholds.maxMutedPacketViolations == 0.0);
  const auto smoke = ScenarioParser::Load("smoke", kScenarioDirectory, &error);
  REQUIRE(smoke.has_value());
  CHECK(smoke->participants <= 20);
  CHECK(smoke->durationSeconds <= 10);
}

TEST_CASE("A scenario file sets every field it names and keeps the defaults", "[loadtest]") {
  std::string error;
  const auto scenario = ScenarioParser::Parse(R"({
      "name": "t", "room": "r.1", "rooms": 2, "participants": 10,
      "audioPublishers": 8, "videoPublishers": 2, "audioSubscribers": 5, "videoSubscribers": 3,
      "durationSeconds": 12.5, "maxRunSeconds": 30, "joinRatePerSecond": 4, "seed": 99,
      "fetchFullRoster": true, "smoothingWindowMs": 500,
      "audio": {"talkingShare": 0.2, "minSpurtMs": 100, "maxSpurtMs": 200,
                "loudestDbov": -10, "quietestDbov": -40, "silenceLevel": 90,
                "priorityPublishers": 1, "minPayloadBytes": 30, "maxPayloadBytes": 40},
      "video": {"framesPerSecond": 30, "maxPacketBytes": 1000,
                "streams": [{"rid": "l", "kbps": 50}, {"rid": "f", "kbps": 900}]},
      "viewport": {"pageSize": 4, "prefetchNextPage": true, "flipEverySeconds": 2},
      "server": {"audioSlots": 5, "rosterPageSize": 3},
      "thresholds": {"maxLossPercent": 0.5, "minJoinedPercent": 90}
    })",
                                              "test", &error);
  INFO(error);
  REQUIRE(scenario.has_value());
  CHECK(scenario->room == "r.1");
  CHECK(scenario->rooms == 2);
  CHECK(scenario->AudioPublisherCount() == 8);
  CHECK(scenario->AudioSubscriberCount() == 5);
  CHECK(scenario->durationSeconds == 12.5);
  CHECK(scenario->seed == 99);
  CHECK(scenario->fetchFullRoster);
  CHECK(scenario->audio.loudestDbov == -10);
  CHECK(scenario->audio.silenceLevel == 90);
  CHECK(scenario->video.streams[1].rid == "f");
  CHECK(scenario->video.streams[1].kbps == 900);
  CHECK(scenario->viewport.prefetchNextPage);
  CHECK(scenario->server.audioSlots == 5u);
  CHECK(scenario->server.rosterPageSize == 3u);
  CHECK_FALSE(scenario->server.maxPublishers.has_value());
  CHECK(scenario->thresholds.maxLossPercent == 0.5);
  CHECK_FALSE(scenario->thresholds.maxP99LatencyMs.has_value());
  // Roles follow the counts: publishers first, subscribers last.
  CHECK(scenario->PublishesAudio(7));
  CHECK_FALSE(scenario->PublishesAudio(8));
  CHECK(scenario->PublishesVideo(1));
  CHECK_FALSE(scenario->PublishesVideo(2));
  CHECK_FALSE(scenario->BindsAudioSlots(4));
  CHECK(scenario->BindsAudioSlots(5));
  CHECK(scenario->ViewsVideo(7));
  CHECK_FALSE(scenario->ViewsVideo(6));
  CHECK(scenario->IsPriority(0));
  CHECK_FALSE(scenario->IsPriority(1));

  const auto controlled = ScenarioParser::Parse(R"({
      "participants": 10, "durationSeconds": 20,
      "impairment": {"oneWayDelayMs": 25, "lossPercent": 2.5, "seed": 4, "path": "relay"},
      "control": {"messages": 100, "ratePerSecond": 50, "dataChannel": false, "hosts": 2,
                  "holdMs": 300, "startSeconds": 3, "hostMuteWeight": 2, "selfMuteWeight": 0,
                  "handWeight": 1, "replyTimeoutMs": 4000}
    })",
                                                "test", &error);
  INFO(error);
  REQUIRE(controlled.has_value());
  CHECK(controlled->impairment.Enabled());
  CHECK(controlled->impairment.oneWayDelayMs == 25);
  CHECK(controlled->impairment.lossPercent == 2.5);
  CHECK(controlled->impairment.seed == 4);
  CHECK(controlled->impairment.path == Scenario::Impairment::Path::kRelay);
  CHECK(controlled->control.Enabled());
  CHECK(controlled->control.messages == 100);
  CHECK(controlled->control.ratePerSecond == 50);
  CHECK_FALSE(controlled->control.dataChannel);
  CHECK(controlled->control.hosts == 2);
  CHECK(controlled->control.holdMs == 300);
  CHECK(controlled->control.startSeconds == 3);
  CHECK(controlled->control.hostMuteWeight == 2);
  CHECK(controlled->control.selfMuteWeight == 0);
  CHECK(controlled->control.replyTimeoutMs == 4000);

  const auto defaults = ScenarioParser::Parse("{}", "test", &error);
  REQUIRE(defaults.has_value());
  CHECK(defaults->participants == 20);
  CHECK(defaults->AudioPublisherCount() == 20);
  CHECK(defaults->EffectiveMaxRunSeconds() == defaults->durationSeconds + 60);
  CHECK_FALSE(defaults->impairment.Enabled());
  CHECK_FALSE(defaults->control.Enabled());
}

TEST_CASE("Bad scenario files are refused with the key and the reason", "[loadtest]") {
  struct Row {
    const char* text;
    const char* error;
  };
  const auto row = GENERATE(
      Row{"{", "test: not valid JSON"}, Row{"[1]", "test: the scenario must be a JSON object"},
      Row{R"({"participans": 3})", "test: unknown key \"participans\""},
      Row{R"({"audio": {"talkShare": 1}})", "test: unknown key \"audio.talkShare\""},
      Row{R"({"participants": "ten"})", "test: \"participants\" must be an integer, got string"},
      Row{R"({"participants": 0})", "test: \"participants\" must be between 1 and 100000, got 0"},
      Row{R"({"audio": {"talkingShare": 1.5}})",
          "test: \"audio.talkingShare\" must be between 0 and 1, got 1.5"},
      Row{R"({"audio": 3})", "test: \"audio\" must be an object"},
      Row{R"({"video": {"streams": []}})", "test: \"video.streams\" must have at least 1 entries"},
      Row{R"({"video": {"streams": [{"rid": "a", "kpbs": 3}]}})",
          "test: unknown key \"video.streams[0].kpbs\""},
      Row{R"({"video": {"streams": [{"rid": "a"}, {"rid": "a"}]}})",
          "test: \"video.streams\" repeats rid \"a\""},
      Row{R"({"video": {"streams": [{"rid": "a b"}]}})",
          "test: \"video.streams[0].rid\" may only contain A-Z a-z 0-9 _ -"},
      Row{R"({"fetchFullRoster": 1})",
          "test: \"fetchFullRoster\" must be true or false, got number"},
      Row{R"({"participants": 5, "videoSubscribers": 6})",
          "test: \"videoSubscribers\" exceeds \"participants\""},
      Row{R"({"room": "a/b"})", "test: \"room\" may only contain A-Z a-z 0-9 _ . -"},
      Row{R"({"durationSeconds": 20, "maxRunSeconds": 10})",
          "test: \"maxRunSeconds\" must be at least \"durationSeconds\""},
      Row{R"({"audio": {"minSpurtMs": 500, "maxSpurtMs": 100}})",
          "test: \"audio.minSpurtMs\" must not exceed \"audio.maxSpurtMs\""},
      Row{R"({"audio": {"loudestDbov": -40, "quietestDbov": -20}})",
          "test: \"audio.loudestDbov\" must be louder (closer to 0) than \"audio.quietestDbov\""},
      Row{R"({"viewport": {"videoLevel": 10}})",
          "test: \"viewport.videoLevel\" must be between -1 and 9, got 10"},
      Row{R"({"impairment": {"lossPercent": 101}})",
          "test: \"impairment.lossPercent\" must be between 0 and 100, got 101"},
      Row{R"({"impairment": {"lossPercent": 1, "path": "netem"}})",
          "test: \"impairment.path\" must be one of \"in-process\", \"relay\", got \"netem\""},
      Row{R"({"impairment": {"lossPercent": 1, "path": 2}})",
          "test: \"impairment.path\" must be a string, got number"},
      Row{R"({"control": {"messages": 1}})", "test: \"control.messages\" must be 0 or at least 2"},
      Row{R"({"participants": 3, "control": {"messages": 10, "hosts": 3}})",
          "test: \"control.hosts\" must be below \"participants\""},
      Row{R"({"durationSeconds": 5, "control": {"messages": 10, "startSeconds": 5}})",
          "test: \"control.startSeconds\" must be below \"durationSeconds\""},
      Row{R"({"thresholds": {"maxLoss": 1}})", "test: unknown key \"thresholds.maxLoss\""},
      Row{R"({"thresholds": {"maxLossPercent": -1}})",
          "test: \"thresholds.maxLossPercent\" must be between 0 and 1e+12, got -1"});
  INFO(row.text);
  CHECK(ParseError(row.text) == row.error);
}

TEST_CASE("A missing scenario file is named", "[loadtest]") {
  std::string error;
  CHECK_FALSE(ScenarioParser::Load("no-such-scenario", kScenarioDirectory, &error));
  CHECK(error == "cannot read scenario file \"" + kScenarioDirectory + "/no-such-scenario.json\"");
  CHECK_FALSE(ScenarioParser::Load("/nonexistent/x.json", kScenarioDirectory, &error));
  CHECK(error == "cannot read scenario file \"/nonexistent/x.json\"");
}

}  // namespace myriad::loadtest
