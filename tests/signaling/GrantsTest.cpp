#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "signaling/Grants.h"

using myriad::signaling::AdminAction;
using myriad::signaling::Grants;

namespace {

Grants Only(bool Grants::*grant) {
  Grants grants;
  grants.*grant = true;
  return grants;
}

}  // namespace

TEST_CASE("Each action needs exactly its grant", "[signaling][auth]") {
  struct Row {
    const char* kind;
    const char* source;
    bool Grants::*needed;
  };
  // docs/protocol.md "Access tokens": screen sources need publishScreen whatever their kind.
  const Row publishRows[] = {
      {"audio", "microphone", &Grants::publishAudio},
      {"audio", "", &Grants::publishAudio},
      {"video", "camera", &Grants::publishVideo},
      {"video", "", &Grants::publishVideo},
      {"video", "screen", &Grants::publishScreen},
      {"audio", "screen_audio", &Grants::publishScreen},
  };
  bool Grants::*const all[] = {&Grants::join,          &Grants::publishAudio, &Grants::publishVideo,
                               &Grants::publishScreen, &Grants::subscribe,    &Grants::admin};
  for (const Row& row : publishRows) {
    INFO(row.kind << " " << row.source);
    for (bool Grants::*grant : all) {
      CHECK(Only(grant).AllowsPublish(row.kind, row.source) == (grant == row.needed));
    }
  }
  for (bool Grants::*grant : all) {
    const Grants grants = Only(grant);
    CHECK(grants.AllowsJoin() == (grant == &Grants::join));
    CHECK(grants.AllowsSubscribe() == (grant == &Grants::subscribe));
    CHECK(grants.Allows(AdminAction::MuteParticipant) == (grant == &Grants::admin));
    CHECK(grants.Allows(AdminAction::RemoveParticipant) == (grant == &Grants::admin));
  }
  CHECK_FALSE(Grants::DefaultParticipant().AllowsPublish("application", ""));
}

TEST_CASE("No grants allow nothing; the development default allows all but admin",
          "[signaling][auth]") {
  const Grants none;
  CHECK_FALSE(none.AllowsJoin());
  CHECK_FALSE(none.AllowsPublish("audio", "microphone"));
  CHECK_FALSE(none.AllowsSubscribe());
  const Grants defaults = Grants::DefaultParticipant();
  CHECK(defaults.AllowsJoin());
  CHECK(defaults.AllowsPublish("audio", "microphone"));
  CHECK(defaults.AllowsPublish("video", "camera"));
  CHECK(defaults.AllowsPublish("video", "screen"));
  CHECK(defaults.AllowsSubscribe());
  CHECK_FALSE(defaults.Allows(AdminAction::RemoveParticipant));
}

TEST_CASE("Grants round-trip through the token claim", "[signaling][auth]") {
  Grants grants;
  grants.join = true;
  grants.publishScreen = true;
  grants.admin = true;
  const nlohmann::json json = grants.ToJson();
  CHECK(json == nlohmann::json::parse(R"({"join":true,"publishAudio":false,"publishVideo":false,
      "publishScreen":true,"subscribe":false,"admin":true})"));
  CHECK(Grants::FromJson(json) == grants);
  // Missing keys are false, unknown keys ignored, mistyped ones refused.
  CHECK(Grants::FromJson(nlohmann::json::parse(R"({"join":true,"record":true})")) ==
        Only(&Grants::join));
  CHECK_FALSE(Grants::FromJson(nlohmann::json::parse(R"({"join":1})")).has_value());
  CHECK_FALSE(Grants::FromJson(nlohmann::json::parse(R"(["join"])")).has_value());
}

TEST_CASE("Grants are read from the command line's list", "[signaling][auth]") {
  std::string error;
  const auto publish = Grants::FromList("join,publish,subscribe", &error);
  REQUIRE(publish);
  CHECK(*publish == Grants::DefaultParticipant());
  CHECK(publish->ToList() == "join,publishAudio,publishVideo,publishScreen,subscribe");
  const auto audio = Grants::FromList("join,publishAudio", &error);
  REQUIRE(audio);
  CHECK(audio->publishAudio);
  CHECK_FALSE(audio->publishVideo);
  const auto all = Grants::FromList("all", &error);
  REQUIRE(all);
  CHECK(all->admin);
  CHECK(all->subscribe);

  CHECK_FALSE(Grants::FromList("join,record", &error).has_value());
  CHECK(error.find("record") != std::string::npos);
  CHECK_FALSE(Grants::FromList("", &error).has_value());
  CHECK_FALSE(Grants::FromList("join,,subscribe", &error).has_value());
}
