#include <catch2/catch.hpp>

#include "signaling/ClientRequest.h"

using myriad::signaling::ClientRequest;
using myriad::signaling::ClientRequestParser;
using myriad::signaling::JoinRequest;
using myriad::signaling::LeaveRequest;
using myriad::signaling::OfferRequest;
using myriad::signaling::RequestError;

namespace {
RequestError ExpectError(std::string_view text, const std::string& code) {
  auto parsed = ClientRequestParser::Parse(text);
  INFO(text);
  REQUIRE(std::holds_alternative<RequestError>(parsed));
  const auto error = std::get<RequestError>(parsed);
  CHECK(error.code == code);
  CHECK_FALSE(error.message.empty());
  return error;
}

ClientRequest ExpectRequest(std::string_view text) {
  auto parsed = ClientRequestParser::Parse(text);
  INFO(text);
  REQUIRE(std::holds_alternative<ClientRequest>(parsed));
  return std::get<ClientRequest>(parsed);
}
}  // namespace

TEST_CASE("join is parsed and validated") {
  const auto request =
      ExpectRequest(R"({"type":"join","id":7,"room":"demo-1.x_y","name":"Ann Lee"})");
  REQUIRE(std::holds_alternative<JoinRequest>(request.body));
  const auto& join = std::get<JoinRequest>(request.body);
  CHECK(join.room == "demo-1.x_y");
  CHECK(join.name == "Ann Lee");
  CHECK(request.id == 7);

  ExpectError(R"({"type":"join","name":"a"})", "bad_message");
  // The name is required without a token; with one it may come from the token.
  ExpectError(R"({"type":"join","room":"r"})", "bad_message");
  const auto withToken = ExpectRequest(R"({"type":"join","room":"r","token":"t"})");
  CHECK(std::get<JoinRequest>(withToken.body).name.empty());
  CHECK(std::get<JoinRequest>(withToken.body).token == "t");
  // A name given with a token must still be valid.
  ExpectError(R"({"type":"join","room":"r","token":"t","name":"a\u0001"})", "bad_name");
  ExpectError(R"({"type":"join","room":5,"name":"a"})", "bad_message");
  ExpectError(R"({"type":"join","room":"a b","name":"a"})", "bad_room");
  ExpectError(R"({"type":"join","room":"","name":"a"})", "bad_room");
  ExpectError(R"({"type":"join","room":")" + std::string(129, 'r') + R"(","name":"a"})",
              "bad_room");
  ExpectError(R"({"type":"join","room":"r","name":""})", "bad_name");
  ExpectError(R"({"type":"join","room":"r","name":"a\u0001b"})", "bad_name");
  ExpectError(R"({"type":"join","room":"r","name":")" + std::string(65, 'n') + R"("})", "bad_name");
}

TEST_CASE("offer carries publish and subscribe maps") {
  const auto request = ExpectRequest(
      R"({"type":"offer","id":"x","sdp":"v=0","publish":{"0":{"source":"camera"},"1":{}},)"
      R"("subscribe":{"2":"T1"}})");
  const auto& offer = std::get<OfferRequest>(request.body);
  CHECK(request.id == "x");
  CHECK(offer.sdp == "v=0");
  CHECK(offer.publish.at("0").source == "camera");
  CHECK(offer.publish.at("1").source.empty());
  CHECK(offer.subscribe.at("2").trackId == "T1");
  CHECK_FALSE(offer.subscribe.at("2").level);

  ExpectError(R"({"type":"offer"})", "bad_message");
  ExpectError(R"({"type":"offer","sdp":"v=0","publish":[]})", "bad_message");
  ExpectError(R"({"type":"offer","sdp":"v=0","publish":{"0":{"source":"webcam"}}})", "bad_message");
  ExpectError(R"({"type":"offer","sdp":"v=0","subscribe":{"2":3}})", "bad_message");
}

TEST_CASE("malformed frames get bad_json, bad_message or unknown_type, keeping the id") {
  ExpectError("", "bad_json");
  ExpectError("{", "bad_json");
  ExpectError("[1,2]", "bad_json");
  ExpectError("\"join\"", "bad_json");
  ExpectError(R"({"room":"r"})", "bad_message");
  ExpectError(R"({"type":5})", "bad_message");
  ExpectError(R"({"type":"join","id":{}})", "bad_message");
  const auto error = ExpectError(R"({"type":"dance","id":12})", "unknown_type");
  CHECK(error.id == 12);
  CHECK(std::holds_alternative<LeaveRequest>(ExpectRequest(R"({"type":"leave"})").body));
}

TEST_CASE("offers bind audio slots and flag priority sources") {
  const auto request = ExpectRequest(
      R"({"type":"offer","sdp":"v=0","publish":{"0":{"source":"microphone","priority":true},)"
      R"("1":{"source":"camera"}},"slots":{"3":0,"4":2}})");
  const auto& offer = std::get<OfferRequest>(request.body);
  CHECK(offer.publish.at("0").priority);
  CHECK_FALSE(offer.publish.at("1").priority);
  REQUIRE(offer.slots.size() == 2);
  CHECK(offer.slots.at("3") == 0);
  CHECK(offer.slots.at("4") == 2);

  ExpectError(R"({"type":"offer","sdp":"v=0","slots":[0]})", "bad_message");
  ExpectError(R"({"type":"offer","sdp":"v=0","slots":{"3":-1}})", "bad_message");
  ExpectError(R"({"type":"offer","sdp":"v=0","slots":{"3":"0"}})", "bad_message");
  ExpectError(R"({"type":"offer","sdp":"v=0","slots":{"3":1.5}})", "bad_message");
  ExpectError(R"({"type":"offer","sdp":"v=0","slots":{"3":70000}})", "bad_message");
  ExpectError(R"({"type":"offer","sdp":"v=0","publish":{"0":{"priority":"yes"}}})", "bad_message");
}

TEST_CASE("simulcast fields: publish tiers and size, subscribe levels, setVideoLevel") {
  const auto request =
      ExpectRequest(R"({"type":"offer","sdp":"v=0","publish":{"0":{"source":"camera","tiers":3,)"
                    R"("width":1280,"height":720}},"subscribe":{"2":{"trackId":"T1","level":4},)"
                    R"("3":{"trackId":"T2"},"4":"T3"}})");
  const auto& offer = std::get<OfferRequest>(request.body);
  CHECK(offer.publish.at("0").tiers == 3);
  CHECK(offer.publish.at("0").width == 1280);
  CHECK(offer.publish.at("0").height == 720);
  CHECK(offer.subscribe.at("2") == myriad::signaling::SubscribeInfo{"T1", 4});
  CHECK(offer.subscribe.at("3") == myriad::signaling::SubscribeInfo{"T2", std::nullopt});
  CHECK(offer.subscribe.at("4") == myriad::signaling::SubscribeInfo{"T3", std::nullopt});

  const auto level = ExpectRequest(R"({"type":"setVideoLevel","id":9,"mid":"2","level":9})");
  CHECK(level.id == 9);
  CHECK(std::get<myriad::signaling::SetVideoLevelRequest>(level.body).mid == "2");
  CHECK(std::get<myriad::signaling::SetVideoLevelRequest>(level.body).level == 9);

  for (const char* bad : {
           R"({"type":"offer","sdp":"v=0","publish":{"0":{"tiers":0}}})",
           R"({"type":"offer","sdp":"v=0","publish":{"0":{"tiers":5}}})",
           R"({"type":"offer","sdp":"v=0","publish":{"0":{"width":-1}}})",
           R"({"type":"offer","sdp":"v=0","publish":{"0":{"height":"720"}}})",
           R"({"type":"offer","sdp":"v=0","publish":{"0":{"height":16385}}})",
           R"({"type":"offer","sdp":"v=0","subscribe":{"2":{"level":3}}})",
           R"({"type":"offer","sdp":"v=0","subscribe":{"2":{"trackId":"T1","level":10}}})",
           R"({"type":"offer","sdp":"v=0","subscribe":{"2":{"trackId":"T1","level":-1}}})",
           R"({"type":"offer","sdp":"v=0","subscribe":{"2":{"trackId":5}}})",
           R"({"type":"setVideoLevel","level":3})",
           R"({"type":"setVideoLevel","mid":"2"})",
           R"({"type":"setVideoLevel","mid":"2","level":10})",
           R"({"type":"setVideoLevel","mid":"2","level":2.5})",
           R"({"type":"setVideoLevel","mid":2,"level":2})",
       }) {
    INFO(bad);
    ExpectError(bad, "bad_message");
  }
}

TEST_CASE("rosterPage needs a string cursor") {
  const auto request = ExpectRequest(R"({"type":"rosterPage","id":4,"cursor":"P12"})");
  CHECK(request.id == 4);
  CHECK(std::get<myriad::signaling::RosterPageRequest>(request.body).cursor == "P12");
  ExpectError(R"({"type":"rosterPage"})", "bad_cursor");
  const auto error = ExpectError(R"({"type":"rosterPage","id":"x","cursor":7})", "bad_cursor");
  CHECK(error.id == "x");
}

TEST_CASE("conference control messages are parsed and validated") {
  using myriad::signaling::ControlRequest;
  using Action = ControlRequest::Action;
  struct Case {
    const char* text;
    Action action;
    const char* trackId;
    const char* participantId;
    bool lock;
  };
  const Case cases[] = {
      {R"({"type":"mute","id":1,"trackId":"T1","muted":true})", Action::kMute, "T1", "", false},
      {R"({"type":"mute","trackId":"T1","muted":false})", Action::kUnmute, "T1", "", false},
      {R"({"type":"hostMute","trackId":"T2"})", Action::kHostMute, "T2", "", false},
      {R"({"type":"hostMute","trackId":"T2","lock":true})", Action::kHostMute, "T2", "", true},
      {R"({"type":"unlockMute","trackId":"T3"})", Action::kUnlockMute, "T3", "", false},
      {R"({"type":"requestUnmute","trackId":"T4"})", Action::kRequestUnmute, "T4", "", false},
      {R"({"type":"kick","participantId":"P1"})", Action::kKick, "", "P1", false},
      {R"({"type":"raiseHand"})", Action::kRaiseHand, "", "", false},
      {R"({"type":"raiseHand","raised":false})", Action::kLowerHand, "", "", false},
      {R"({"type":"lowerHand","participantId":"P2"})", Action::kLowerOthersHand, "", "P2", false},
      {R"({"type":"sync","id":"s"})", Action::kSync, "", "", false},
  };
  for (const Case& c : cases) {
    const auto request = ExpectRequest(c.text);
    REQUIRE(std::holds_alternative<ControlRequest>(request.body));
    const auto& control = std::get<ControlRequest>(request.body);
    CHECK(control.action == c.action);
    CHECK(control.trackId == c.trackId);
    CHECK(control.participantId == c.participantId);
    CHECK(control.lock == c.lock);
  }
  ExpectError(R"({"type":"mute","trackId":"T1"})", "bad_message");  // muted is required
  ExpectError(R"({"type":"mute","trackId":"T1","muted":"yes"})", "bad_message");
  ExpectError(R"({"type":"mute","muted":true})", "bad_message");
  ExpectError(R"({"type":"hostMute","trackId":"T1","lock":1})", "bad_message");
  ExpectError(R"({"type":"hostMute","trackId":7})", "bad_message");
  ExpectError(R"({"type":"kick"})", "bad_message");
  ExpectError(R"({"type":"lowerHand","participantId":false})", "bad_message");
  ExpectError(R"({"type":"raiseHand","raised":"no"})", "bad_message");
  CHECK(ExpectError(R"({"type":"unlockMute","id":5})", "bad_message").id == 5);
}
