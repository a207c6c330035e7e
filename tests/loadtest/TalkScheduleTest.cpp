// The talk schedule: deterministic, the configured share talking at every
// instant, distinct levels among concurrent talkers, spurt lengths in range.

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "loadtest/TalkSchedule.h"

namespace myriad::loadtest {
namespace {

TalkSchedule::Config Config(uint32_t publishers, double share, uint32_t seed) {
  TalkSchedule::Config config;
  config.publishers = publishers;
  config.talkingShare = share;
  config.minSpurtUs = 2'000'000;
  config.maxSpurtUs = 6'000'000;
  config.loudestLevel = 20;
  config.quietestLevel = 35;
  config.durationUs = 60'000'000;
  config.seed = seed;
  return config;
}

bool SameSpurts(const TalkSchedule& a, const TalkSchedule& b) {
  if (a.Spurts().size() != b.Spurts().size()) return false;
  for (size_t i = 0; i < a.Spurts().size(); ++i) {
    const auto& x = a.Spurts()[i];
    const auto& y = b.Spurts()[i];
    if (x.publisher != y.publisher || x.channel != y.channel || x.level != y.level ||
        x.startUs != y.startUs || x.endUs != y.endUs) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("TalkSchedule is the same for the same seed and differs for another", "[loadtest]") {
  const TalkSchedule a(Config(1000, 0.05, 42));
  const TalkSchedule b(Config(1000, 0.05, 42));
  const TalkSchedule c(Config(1000, 0.05, 43));
  CHECK(SameSpurts(a, b));
  CHECK_FALSE(SameSpurts(a, c));
  CHECK(a.Spurts().size() > 50 * 10);  // 50 channels, >= 10 spurts each in 60 s
}

TEST_CASE("TalkSchedule keeps the talking share at every instant", "[loadtest]") {
  const auto [publishers, share, channels] =
      GENERATE(std::make_tuple(1000u, 0.05, 50u), std::make_tuple(20u, 0.15, 3u),
               std::make_tuple(10u, 0.01, 1u), std::make_tuple(4u, 1.0, 4u));
  INFO(publishers << " publishers, share " << share);
  const TalkSchedule schedule(Config(publishers, share, 1));
  REQUIRE(schedule.Channels() == channels);
  for (int64_t at = 0; at < 60'000'000; at += 97'000) {
    const auto talkers = schedule.TalkersAt(at);
    REQUIRE(talkers.size() == channels);
    std::set<uint32_t> distinct;
    for (const auto& talker : talkers) distinct.insert(talker.publisher);
    REQUIRE(distinct.size() == channels);  // nobody talks on two channels
  }
  // Talkers are drawn from everyone: most of a small room gets to talk.
  if (publishers <= 20) {
    std::set<uint32_t> talked;
    for (const auto& spurt : schedule.Spurts()) talked.insert(spurt.publisher);
    CHECK(talked.size() * 2 > publishers);
  }
}

TEST_CASE("TalkSchedule spurts are in range and a channel never keeps its talker", "[loadtest]") {
  const TalkSchedule schedule(Config(100, 0.1, 5));
  std::map<uint32_t, std::vector<TalkSchedule::Spurt>> byChannel;
  for (const auto& spurt : schedule.Spurts()) byChannel[spurt.channel].push_back(spurt);
  REQUIRE(byChannel.size() == 10);
  for (const auto& [channel, spurts] : byChannel) {
    CHECK(spurts.front().startUs == 0);
    for (size_t i = 0; i < spurts.size(); ++i) {
      const int64_t length = spurts[i].endUs - spurts[i].startUs;
      CHECK(length > 0);
      // First spurts are shortened to stagger the channels; the last is cut
      // at the end of the run.
      if (i > 0 && spurts[i].endUs < 60'000'000) {
        CHECK(length >= 2'000'000);
        CHECK(length <= 6'000'000);
      }
      if (i > 0) {
        CHECK(spurts[i].startUs == spurts[i - 1].endUs);  // back to back
        CHECK(spurts[i].publisher != spurts[i - 1].publisher);
      }
    }
    CHECK(spurts.back().endUs == 60'000'000);
  }
}

TEST_CASE("TalkSchedule levels: distinct foreground, background beyond the gap", "[loadtest]") {
  SECTION("only foreground channels") {
    const TalkSchedule schedule(Config(60, 0.05, 1));  // 3 channels
    CHECK(schedule.ChannelLevel(0) == 20);
    CHECK(schedule.ChannelLevel(1) == 21);
    CHECK(schedule.ChannelLevel(2) == 22);
  }
  SECTION("background channels start 8 dB below the foreground, then share the quietest") {
    const TalkSchedule schedule(Config(1000, 0.05, 1));  // 50 channels
    CHECK(schedule.ChannelLevel(2) == 22);
    for (uint32_t c = 3; c <= 8; ++c) CHECK(schedule.ChannelLevel(c) == 30 + (c - 3));
    CHECK(schedule.ChannelLevel(9) == 35);
    CHECK(schedule.ChannelLevel(49) == 35);
  }
  SECTION("a gap beyond the quietest level moves the quietest") {
    auto config = Config(100, 0.1, 1);
    config.foregroundChannels = 2;
    config.backgroundGap = 20;
    const TalkSchedule schedule(config);
    CHECK(schedule.ChannelLevel(1) == 21);
    CHECK(schedule.ChannelLevel(2) == 41);
    CHECK(schedule.ChannelLevel(9) == 41);
  }
  const TalkSchedule schedule(Config(1000, 0.05, 9));
  for (int64_t at = 0; at < 60'000'000; at += 1'000'003) {
    const auto talkers = schedule.TalkersAt(at);
    // The three loudest are unambiguous (levels 20, 21, 22), and so is the
    // next (30): a foreground talker hears it instead of itself.
    REQUIRE(talkers.size() >= 5);
    CHECK(talkers[0].level == 20);
    CHECK(talkers[1].level == 21);
    CHECK(talkers[2].level == 22);
    CHECK(talkers[3].level == 30);
    CHECK(talkers[4].level == 31);
    const auto loudest = schedule.LoudestAt(at, 3);
    CHECK(loudest ==
          std::vector<uint32_t>{talkers[0].publisher, talkers[1].publisher, talkers[2].publisher});
    // A talker among them does not hear itself: the fourth moves up.
    const auto withoutFirst = schedule.LoudestAt(at, 3, talkers[0].publisher);
    CHECK(withoutFirst ==
          std::vector<uint32_t>{talkers[1].publisher, talkers[2].publisher, talkers[3].publisher});
  }
}

TEST_CASE("TalkSchedule answers who talks when", "[loadtest]") {
  const TalkSchedule schedule(Config(50, 0.1, 3));
  const auto& spurt = schedule.Spurts()[7];
  const auto* found = schedule.SpurtAt(spurt.publisher, spurt.startUs);
  REQUIRE(found != nullptr);
  CHECK(found->startUs == spurt.startUs);
  CHECK(schedule.SpurtAt(spurt.publisher, spurt.endUs - 1) == found);
  const auto* after = schedule.SpurtAt(spurt.publisher, spurt.endUs);
  CHECK((after == nullptr || after->startUs >= spurt.endUs));
  CHECK_FALSE(schedule.SilentThroughout(spurt.publisher, spurt.startUs - 10, spurt.startUs));
  CHECK_FALSE(schedule.SilentThroughout(spurt.publisher, spurt.endUs - 1, spurt.endUs + 10));
  // Between two of its spurts, a publisher is silent.
  const auto spurts = schedule.SpurtsOf(spurt.publisher);
  for (size_t i = 1; i < spurts.size(); ++i) {
    if (spurts[i].startUs > spurts[i - 1].endUs) {
      CHECK(schedule.SilentThroughout(spurt.publisher, spurts[i - 1].endUs, spurts[i].startUs - 1));
      CHECK(schedule.SpurtAt(spurt.publisher, spurts[i - 1].endUs) == nullptr);
    }
  }
  CHECK(schedule.SpurtAt(99, 0) == nullptr);  // not a publisher
}

TEST_CASE("TalkSchedule with nobody talking", "[loadtest]") {
  CHECK(TalkSchedule(Config(100, 0.0, 1)).Spurts().empty());
  CHECK(TalkSchedule(Config(0, 0.05, 1)).Spurts().empty());
  CHECK(TalkSchedule(Config(100, 0.0, 1)).TalkersAt(5).empty());
}

}  // namespace myriad::loadtest
