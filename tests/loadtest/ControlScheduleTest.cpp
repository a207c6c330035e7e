// The control plan: deterministic, exactly the requests asked for at the asked rate, one
// cycle at a time per microphone and hand, hosts never host-muted, talkers muted first.

#include <catch2/catch.hpp>
#include <map>
#include <tuple>

#include "loadtest/ControlSchedule.h"
#include "loadtest/TalkSchedule.h"

namespace myriad::loadtest {
namespace {

using Kind = ControlSchedule::Kind;

TalkSchedule::Config Talk(uint32_t publishers) {
  TalkSchedule::Config config;
  config.publishers = publishers;
  config.talkingShare = 0.05;
  config.durationUs = 60'000'000;
  config.seed = 3;
  return config;
}

ControlSchedule::Config Plan(uint32_t messages, double rate) {
  ControlSchedule::Config config;
  config.participants = 200;
  config.audioPublishers = 200;
  config.hosts = 4;
  config.messages = messages;
  config.ratePerSecond = rate;
  config.startUs = 6'000'000;
  config.holdUs = 500'000;
  config.seed = 7;
  return config;
}

// Requests of the plan, counting the owner's accept for each requestUnmute.
uint32_t Requests(const ControlSchedule& schedule) {
  uint32_t requests = 0;
  for (const auto& action : schedule.Actions()) {
    requests += action.kind == Kind::kRequestUnmute ? 2 : 1;
  }
  return requests;
}

}  // namespace

TEST_CASE("ControlSchedule is the same for the same seed", "[loadtest]") {
  const TalkSchedule talk(Talk(200));
  const ControlSchedule a(Plan(1000, 400), talk);
  const ControlSchedule b(Plan(1000, 400), talk);
  auto other = Plan(1000, 400);
  other.seed = 8;
  const ControlSchedule c(other, talk);
  const auto same = [](const ControlSchedule& x, const ControlSchedule& y) {
    if (x.Actions().size() != y.Actions().size()) return false;
    for (size_t i = 0; i < x.Actions().size(); ++i) {
      const auto& p = x.Actions()[i];
      const auto& q = y.Actions()[i];
      if (p.atUs != q.atUs || p.actor != q.actor || p.kind != q.kind || p.target != q.target) {
        return false;
      }
    }
    return true;
  };
  CHECK(same(a, b));
  CHECK_FALSE(same(a, c));
}

TEST_CASE("ControlSchedule plans exactly the requests asked for, at the rate asked for",
          "[loadtest]") {
  const auto [messages, rate] =
      GENERATE(std::make_tuple(10000u, 400.0), std::make_tuple(2u, 10.0), std::make_tuple(3u, 10.0),
               std::make_tuple(4u, 10.0), std::make_tuple(1001u, 100.0));
  INFO(messages << " messages at " << rate << "/s");
  const TalkSchedule talk(Talk(200));
  const ControlSchedule schedule(Plan(messages, rate), talk);
  CHECK(schedule.PlannedMessages() == messages);
  CHECK(Requests(schedule) == messages);
  REQUIRE_FALSE(schedule.Actions().empty());
  // In time order, from the start on; the last cycle starts about messages / rate later.
  int64_t previous = 0;
  for (const auto& action : schedule.Actions()) {
    CHECK(action.atUs >= previous);
    previous = action.atUs;
  }
  CHECK(schedule.Actions().front().atUs == 6'000'000);
  const double spanSeconds =
      static_cast<double>(schedule.Actions().back().atUs - 6'000'000 - 500'000) / 1e6;
  CHECK(spanSeconds <= messages / rate * 1.1 + 0.5);
  CHECK(schedule.EndUs() >= schedule.Actions().back().atUs);
}

TEST_CASE("ControlSchedule gives a microphone or a hand one cycle at a time", "[loadtest]") {
  const TalkSchedule talk(Talk(200));
  const ControlSchedule schedule(Plan(10000, 400), talk);
  std::map<uint32_t, int64_t> microphoneFreeAt;
  std::map<uint32_t, int64_t> handFreeAt;
  std::map<Kind, uint32_t> kinds;
  uint32_t talkersMuted = 0;
  uint32_t mutes = 0;
  for (const auto& action : schedule.Actions()) {
    ++kinds[action.kind];
    if (action.kind == Kind::kHostMute) {
      CHECK(action.actor < 4);
      CHECK(action.target >= 4);  // hosts are not muted by hosts
    }
    if (action.kind == Kind::kHostMute || action.kind == Kind::kSelfMute) {
      if (action.kind == Kind::kSelfMute) CHECK(action.target == action.actor);
      CHECK(microphoneFreeAt[action.target] <= action.atUs);
      microphoneFreeAt[action.target] = action.atUs + 1'500'000;
      ++mutes;
      if (talk.SpurtAt(action.target, action.atUs) != nullptr) ++talkersMuted;
    }
    if (action.kind == Kind::kRaiseHand) {
      CHECK(handFreeAt[action.actor] <= action.atUs);
      handFreeAt[action.actor] = action.atUs + 1'500'000;
    }
  }
  // Each first action has its second one, hold later.
  CHECK(kinds[Kind::kHostMute] == kinds[Kind::kRequestUnmute]);
  CHECK(kinds[Kind::kSelfMute] == kinds[Kind::kSelfUnmute]);
  CHECK(kinds[Kind::kRaiseHand] == kinds[Kind::kLowerHand]);
  // Equal weights: each kind about a third of the cycles.
  const double cycles = schedule.Cycles();
  for (const Kind kind : {Kind::kHostMute, Kind::kSelfMute, Kind::kRaiseHand}) {
    CHECK(kinds[kind] > cycles / 4);
    CHECK(kinds[kind] < cycles / 2.5);
  }
  // Talkers first: a good share of the mutes hit someone talking.
  CHECK(talkersMuted > mutes / 40);
}

TEST_CASE("ControlSchedule without hosts plans no host mutes", "[loadtest]") {
  const TalkSchedule talk(Talk(200));
  auto config = Plan(500, 100);
  config.hosts = 0;
  const ControlSchedule schedule(config, talk);
  CHECK(schedule.PlannedMessages() == 500);
  for (const auto& action : schedule.Actions()) CHECK(action.kind != Kind::kHostMute);
}

}  // namespace myriad::loadtest
