#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "simulcast/ActiveSpeakerSelector.h"

using myriad::simulcast::ActiveSpeakerSelector;
using SourceId = ActiveSpeakerSelector::SourceId;
using Ids = std::vector<SourceId>;

namespace {
constexpr int64_t kPacketMs = 20;

// RFC 6464 levels (-dBov) per source for one stretch of time; sources not listed send nothing.
using Levels = std::map<SourceId, uint8_t>;

// Options without smoothing, so a source's level is its last sample and the rules can be tested
// one Update at a time.
ActiveSpeakerSelector::Options Instant(size_t slots = 3) {
  ActiveSpeakerSelector::Options options;
  options.slots = slots;
  options.smoothingMs = 0;
  return options;
}

Ids Speakers(const ActiveSpeakerSelector& selector) {
  return {selector.Speakers().begin(), selector.Speakers().end()};
}

Ids SelectionFor(const ActiveSpeakerSelector& selector, SourceId self) {
  Ids out(selector.GetOptions().slots, 99);
  selector.SelectionFor(self, out);
  return out;
}

struct Counts {
  int changedUpdates = 0;   // Update() returned true
  int slotSwitches = 0;     // a position got a different holder
  int standbySwitches = 0;  // Standby() changed
};

// One packet per source every 20 ms over [fromMs, toMs), an Update after each round.
Counts Talk(ActiveSpeakerSelector& selector, const Levels& levels, int64_t fromMs, int64_t toMs) {
  Counts counts;
  for (int64_t t = fromMs; t < toMs; t += kPacketMs) {
    for (const auto& [id, level] : levels) selector.OnAudioLevel(id, level, t);
    const Ids before = Speakers(selector);
    const SourceId standbyBefore = selector.Standby();
    if (selector.Update(t)) ++counts.changedUpdates;
    const Ids after = Speakers(selector);
    for (size_t i = 0; i < after.size(); ++i) counts.slotSwitches += before[i] != after[i] ? 1 : 0;
    counts.standbySwitches += selector.Standby() != standbyBefore ? 1 : 0;
  }
  return counts;
}

void AddSources(ActiveSpeakerSelector& selector, SourceId first, SourceId last) {
  for (SourceId id = first; id <= last; ++id) selector.AddSource(id, false, 0);
}
}  // namespace

TEST_CASE("ActiveSpeakerSelector starts with empty slots", "[ActiveSpeakerSelector]") {
  ActiveSpeakerSelector selector(ActiveSpeakerSelector::Options{});
  CHECK(Speakers(selector) == Ids{0, 0, 0});
  CHECK(selector.Standby() == 0);
  AddSources(selector, 1, 5);
  CHECK(selector.SourceCount() == 5);
  CHECK_FALSE(selector.Update(0));
  CHECK(Speakers(selector) == Ids{0, 0, 0});
  CHECK(selector.SmoothedLevelDbov(1, 0) == -127);
  CHECK(selector.SmoothedLevelDbov(42, 0) == -127);  // unknown
}

TEST_CASE("ActiveSpeakerSelector fills empty slots as soon as a source is active",
          "[ActiveSpeakerSelector]") {
  ActiveSpeakerSelector selector(ActiveSpeakerSelector::Options{});
  AddSources(selector, 1, 5);
  const Levels levels{{1, 30}, {2, 30}, {4, 20}, {5, 127}};
  const double threshold = selector.GetOptions().activityThresholdDbov;
  for (int64_t t = 0; t < 1000; t += kPacketMs) {
    Talk(selector, levels, t, t + kPacketMs);
    const Ids speakers = Speakers(selector);
    for (SourceId id = 1; id <= 5; ++id) {
      const bool active = selector.SmoothedLevelDbov(id, t) >= threshold;
      const bool selected = std::count(speakers.begin(), speakers.end(), id) == 1;
      INFO("t=" << t << " source " << id);
      CHECK(selected == active);  // no hold time or margin for an empty slot
    }
  }
  // The louder source became active first and took the first position; the two equal ones
  // crossed together and the lower id got the lower position.
  CHECK(Speakers(selector) == Ids{4, 1, 2});
}

TEST_CASE("ActiveSpeakerSelector replaces a holder only by the rules", "[ActiveSpeakerSelector]") {
  struct Case {
    const char* name;
    uint8_t holderLevel;
    uint8_t candidateLevel;
    bool replaced;  // once the hold time is over
  };
  const Case cases[] = {
      {"louder by 20 dB", 40, 20, true},
      {"louder by exactly the margin", 40, 34, true},
      {"louder by less than the margin", 40, 35, false},
      {"equal", 40, 40, false},
      {"quieter", 30, 40, false},
      {"silent holder, quiet but active candidate", 127, 49, true},
      {"inactive holder, candidate within the margin", 52, 49, true},
      {"active holder, quieter candidate", 45, 49, false},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      ActiveSpeakerSelector selector(Instant(1));
      AddSources(selector, 1, 2);
      // Source 1 takes the slot at t=0 talking loudly; its level changes from t=100.
      Talk(selector, {{1, 20}}, 0, 100);
      REQUIRE(Speakers(selector) == Ids{1});
      const Levels levels{{1, c.holderLevel}, {2, c.candidateLevel}};
      const int64_t holdEndMs = selector.GetOptions().minHoldMs;
      Talk(selector, levels, 100, holdEndMs);
      CHECK(Speakers(selector) == Ids{1});  // never within the hold time
      Talk(selector, levels, holdEndMs, holdEndMs + kPacketMs);
      CHECK(Speakers(selector) == Ids{SourceId{c.replaced ? 2U : 1U}});
      Talk(selector, levels, holdEndMs + kPacketMs, 3000);
      CHECK(Speakers(selector) == Ids{SourceId{c.replaced ? 2U : 1U}});  // and no flap back
    }
  }
}

TEST_CASE("ActiveSpeakerSelector hysteresis keeps alternating speakers from flapping",
          "[ActiveSpeakerSelector]") {
  ActiveSpeakerSelector::Options options;
  options.slots = 1;
  const bool smoothed = GENERATE(true, false);
  if (!smoothed) options.smoothingMs = 0;
  ActiveSpeakerSelector selector(options);
  AddSources(selector, 1, 2);
  Talk(selector, {{1, 30}, {2, 30}}, 0, 1000);
  REQUIRE(Speakers(selector) == Ids{1});
  REQUIRE(selector.Standby() == 2);
  // Each is louder than the other in turn, by less than the margin, every 200 ms for 10 s.
  Counts counts;
  for (int64_t t = 1000; t < 11'000; t += 200) {
    const bool oneLouder = (t / 200) % 2 == 0;
    const Counts part =
        Talk(selector, {{1, oneLouder ? 27 : 32}, {2, oneLouder ? 32 : 27}}, t, t + 200);
    counts.changedUpdates += part.changedUpdates;
  }
  CHECK(counts.changedUpdates == 0);
  CHECK(Speakers(selector) == Ids{1});
  CHECK(selector.Standby() == 2);
}

TEST_CASE("ActiveSpeakerSelector keeps silent holders when nobody else talks",
          "[ActiveSpeakerSelector]") {
  ActiveSpeakerSelector selector(ActiveSpeakerSelector::Options{});
  AddSources(selector, 1, 6);
  Talk(selector, {{1, 25}, {2, 30}, {3, 35}}, 0, 2000);
  REQUIRE(Speakers(selector) == Ids{1, 2, 3});
  SECTION("packets with silence levels") {
    const Counts counts = Talk(selector, {{1, 127}, {2, 127}, {3, 127}, {4, 127}}, 2000, 8000);
    CHECK(counts.slotSwitches == 0);
  }
  SECTION("no packets at all") {
    const Counts counts = Talk(selector, {}, 2000, 8000);
    CHECK(counts.slotSwitches == 0);
    CHECK(selector.SmoothedLevelDbov(1, 8000) == -127);
  }
  CHECK(Speakers(selector) == Ids{1, 2, 3});
  CHECK(selector.Standby() == 0);
}

TEST_CASE("ActiveSpeakerSelector keeps positions stable across replacements",
          "[ActiveSpeakerSelector]") {
  ActiveSpeakerSelector selector(Instant());
  AddSources(selector, 1, 5);
  Talk(selector, {{1, 25}, {2, 30}, {3, 35}}, 0, 1000);
  REQUIRE(Speakers(selector) == Ids{1, 2, 3});
  // 2 stops, 4 starts: 4 takes 2's position, nobody else moves.
  Counts counts = Talk(selector, {{1, 25}, {2, 127}, {3, 35}, {4, 40}}, 1000, 2000);
  CHECK(Speakers(selector) == Ids{1, 4, 3});
  CHECK(counts.slotSwitches == 1);
  // 5 is louder than everyone by far: it replaces the weakest holder (3, at -35 dBov).
  counts = Talk(selector, {{1, 25}, {3, 35}, {4, 30}, {5, 10}}, 2000, 3000);
  CHECK(Speakers(selector) == Ids{1, 4, 5});
  CHECK(counts.slotSwitches == 1);
}

TEST_CASE("ActiveSpeakerSelector replaces only holders whose hold time is over",
          "[ActiveSpeakerSelector]") {
  ActiveSpeakerSelector selector(Instant(2));
  AddSources(selector, 1, 4);
  Talk(selector, {{1, 40}}, 0, 1000);
  Talk(selector, {{1, 40}, {2, 45}}, 1000, 1200);  // 2 fills the empty slot at 1000
  REQUIRE(Speakers(selector) == Ids{1, 2});
  // 2 is the weakest but held only 200 ms: the loud newcomer takes 1's position instead.
  Talk(selector, {{1, 40}, {2, 45}, {3, 10}}, 1200, 1220);
  CHECK(Speakers(selector) == Ids{3, 2});
  // 4 arrives while 3 is fresh; 2 becomes replaceable at 1600.
  Talk(selector, {{2, 45}, {3, 10}, {4, 20}}, 1220, 1600);
  CHECK(Speakers(selector) == Ids{3, 2});
  CHECK(selector.Standby() == 4);
  Talk(selector, {{2, 45}, {3, 10}, {4, 20}}, 1600, 1620);
  CHECK(Speakers(selector) == Ids{3, 4});
}

TEST_CASE("ActiveSpeakerSelector does several replacements in one Update",
          "[ActiveSpeakerSelector]") {
  ActiveSpeakerSelector selector(Instant());
  AddSources(selector, 1, 6);
  Talk(selector, {{1, 40}, {2, 40}, {3, 40}}, 0, 1000);
  Talk(selector, {{1, 127}, {2, 40}, {3, 127}}, 1000, 1100);  // 1 and 3 fall silent
  REQUIRE(Speakers(selector) == Ids{1, 2, 3});
  const Counts counts = Talk(selector, {{2, 40}, {4, 30}, {5, 20}, {6, 45}}, 1100, 1120);
  // 1 and 3 are equally silent (-127 dBov from their last samples), so the higher id counts as
  // the weaker: the loudest candidate (5) replaces 3, the next (4) replaces 1.
  CHECK(counts.changedUpdates == 1);
  CHECK(Speakers(selector) == Ids{4, 2, 5});
  CHECK(selector.Standby() == 6);
}

TEST_CASE("ActiveSpeakerSelector without hold time or margin breaks ties by id",
          "[ActiveSpeakerSelector]") {
  ActiveSpeakerSelector::Options options = Instant(2);
  options.minHoldMs = 0;
  options.switchMarginDb = 0;
  ActiveSpeakerSelector selector(options);
  AddSources(selector, 1, 4);
  Talk(selector, {{3, 30}, {4, 30}}, 0, 100);
  REQUIRE(Speakers(selector) == Ids{3, 4});
  // Two equally loud newcomers with lower ids win the ties, each once; then nothing moves.
  Counts counts = Talk(selector, {{1, 30}, {2, 30}, {3, 30}, {4, 30}}, 100, 1000);
  CHECK(Speakers(selector) == Ids{2, 1});
  CHECK(selector.Standby() == 3);
  CHECK(counts.slotSwitches == 2);
  CHECK(counts.changedUpdates == 1);
  // Any louder candidate replaces at once.
  counts = Talk(selector, {{1, 30}, {2, 30}, {3, 29}, {4, 30}}, 1000, 1100);
  CHECK(Speakers(selector) == Ids{3, 1});
  CHECK(counts.slotSwitches == 1);
}

TEST_CASE("ActiveSpeakerSelector standby has hysteresis", "[ActiveSpeakerSelector]") {
  ActiveSpeakerSelector selector(Instant(1));
  AddSources(selector, 1, 3);
  Talk(selector, {{1, 10}, {2, 30}, {3, 34}}, 0, 1000);
  REQUIRE(Speakers(selector) == Ids{1});
  CHECK(selector.Standby() == 2);
  Talk(selector, {{1, 10}, {2, 30}, {3, 27}}, 1000, 1200);  // louder by 3 dB only
  CHECK(selector.Standby() == 2);
  Talk(selector, {{1, 10}, {2, 30}, {3, 24}}, 1200, 1400);  // louder by 6 dB
  CHECK(selector.Standby() == 3);
  Talk(selector, {{1, 10}, {2, 30}, {3, 127}}, 1400, 1600);  // the standby stops talking
  CHECK(selector.Standby() == 2);
  Talk(selector, {{1, 10}, {2, 60}, {3, 127}}, 1600, 1800);  // nobody active is left
  CHECK(selector.Standby() == 0);
  // The speaker stops, the standby talks: it becomes the speaker and is no longer standby.
  Talk(selector, {{1, 127}, {2, 30}, {3, 127}}, 1800, 2000);
  CHECK(Speakers(selector) == Ids{2});
  CHECK(selector.Standby() == 0);
}

TEST_CASE("ActiveSpeakerSelector gives priority sources a slot whatever their level",
          "[ActiveSpeakerSelector]") {
  ActiveSpeakerSelector selector(Instant(2));
  selector.AddSource(9, true, 0);
  AddSources(selector, 1, 3);
  CHECK(selector.Update(0));  // silent, but placed at once
  CHECK(Speakers(selector) == Ids{9, 0});
  // Loud talkers get the remaining slot only, for ever.
  Talk(selector, {{1, 10}, {2, 15}, {3, 20}, {9, 127}}, 0, 10'000);
  CHECK(Speakers(selector) == Ids{9, 1});
  CHECK(selector.Standby() == 2);
  CHECK(SelectionFor(selector, 9) == Ids{2, 1});

  SECTION("a new priority source takes the weakest slot at once") {
    selector.AddSource(8, true, 10'000);
    Talk(selector, {{1, 10}, {2, 15}, {3, 20}}, 10'000, 10'020);
    CHECK(Speakers(selector) == Ids{9, 8});
    // The displaced speaker (-10 dBov) does not beat the standby (-15 dBov) by the margin.
    CHECK(selector.Standby() == 2);
  }
  SECTION("losing priority makes it an ordinary holder") {
    selector.SetPriority(9, false);
    Talk(selector, {{1, 10}, {2, 15}, {3, 20}}, 10'000, 10'020);
    CHECK(Speakers(selector) == Ids{2, 1});  // silent, held long: replaced by the standby
  }
}

TEST_CASE("ActiveSpeakerSelector gives slots to the earliest priority sources",
          "[ActiveSpeakerSelector]") {
  ActiveSpeakerSelector selector(Instant(2));
  selector.AddSource(1, false, 0);
  selector.AddSource(7, true, 10);
  selector.AddSource(6, true, 20);
  selector.AddSource(5, true, 20);  // same millisecond as 6: added after it
  Talk(selector, {{1, 0}, {5, 20}}, 0, 2000);
  CHECK(Speakers(selector) == Ids{7, 6});
  CHECK(selector.Standby() == 1);
  // A freed position goes to the waiting priority source, not to the loudest.
  selector.RemoveSource(7);
  CHECK(Speakers(selector) == Ids{0, 6});
  Talk(selector, {{1, 0}, {5, 20}}, 2000, 2020);
  CHECK(Speakers(selector) == Ids{5, 6});
  CHECK(selector.Standby() == 1);
}

TEST_CASE("ActiveSpeakerSelector SelectionFor hides a subscriber's own source",
          "[ActiveSpeakerSelector]") {
  ActiveSpeakerSelector selector(Instant());
  AddSources(selector, 1, 5);
  Talk(selector, {{1, 20}, {2, 20}, {3, 20}}, 0, 100);
  Talk(selector, {{1, 20}, {2, 20}, {3, 20}, {4, 30}}, 100, 200);
  REQUIRE(Speakers(selector) == Ids{1, 2, 3});
  REQUIRE(selector.Standby() == 4);
  struct Case {
    SourceId self;
    Ids expected;
  };
  const Case cases[] = {
      {0, {1, 2, 3}},   // publishes no audio
      {1, {4, 2, 3}},   // a speaker: the standby in its own position
      {2, {1, 4, 3}},   //
      {3, {1, 2, 4}},   //
      {4, {1, 2, 3}},   // the standby itself
      {5, {1, 2, 3}},   // a silent publisher
      {77, {1, 2, 3}},  // unknown
  };
  for (const Case& c : cases) {
    INFO("self " << c.self);
    CHECK(SelectionFor(selector, c.self) == c.expected);
  }
  // Without a standby a speaker's own position is empty for it.
  Talk(selector, {{1, 20}, {2, 20}, {3, 20}}, 200, 600);  // 4 stops sending: silent at 480
  REQUIRE(selector.Standby() == 0);
  CHECK(SelectionFor(selector, 2) == Ids{1, 0, 3});
}

TEST_CASE("ActiveSpeakerSelector RemoveSource frees the slot at once", "[ActiveSpeakerSelector]") {
  ActiveSpeakerSelector selector(Instant(2));
  AddSources(selector, 1, 4);
  Talk(selector, {{1, 20}, {2, 30}, {3, 40}}, 0, 100);
  REQUIRE(Speakers(selector) == Ids{1, 2});
  REQUIRE(selector.Standby() == 3);

  selector.RemoveSource(1);
  CHECK(selector.SourceCount() == 3);
  CHECK(Speakers(selector) == Ids{0, 2});
  CHECK(selector.Update(100));  // refilled by the standby, no hold time or margin
  CHECK(Speakers(selector) == Ids{3, 2});
  CHECK(selector.Standby() == 0);

  selector.OnAudioLevel(1, 0, 120);  // a late packet of the removed source is ignored
  CHECK(selector.SmoothedLevelDbov(1, 120) == -127);
  CHECK_FALSE(selector.Update(120));

  // No candidate: the position stays empty, which is a change once, then none.
  selector.RemoveSource(3);
  CHECK(selector.Update(140));
  CHECK(Speakers(selector) == Ids{0, 2});
  CHECK_FALSE(selector.Update(160));

  // Removing the standby clears it; unknown ids are ignored.
  Talk(selector, {{2, 30}, {4, 40}}, 160, 200);
  REQUIRE(Speakers(selector) == Ids{4, 2});
  selector.AddSource(5, false, 200);
  Talk(selector, {{2, 30}, {4, 40}, {5, 45}}, 200, 300);
  REQUIRE(selector.Standby() == 5);
  selector.RemoveSource(5);
  selector.RemoveSource(1234);
  CHECK(selector.Standby() == 0);
  CHECK(selector.SourceCount() == 2);
}

TEST_CASE("ActiveSpeakerSelector ignores duplicate and zero ids", "[ActiveSpeakerSelector]") {
  ActiveSpeakerSelector selector(Instant(1));
  selector.AddSource(0, true, 0);
  CHECK(selector.SourceCount() == 0);
  selector.AddSource(1, false, 0);
  Talk(selector, {{1, 30}}, 0, 100);
  selector.AddSource(1, true, 100);  // updates priority only, keeps the level
  CHECK(selector.SourceCount() == 1);
  CHECK(selector.SmoothedLevelDbov(1, 100) == -30);
  selector.OnAudioLevel(0, 0, 100);
  selector.OnAudioLevel(2, 0, 100);
  CHECK_FALSE(selector.Update(100));
}

TEST_CASE("ActiveSpeakerSelector picks the loudest three of 1000 sources",
          "[ActiveSpeakerSelector]") {
  std::mt19937 random(6464);
  ActiveSpeakerSelector selector(ActiveSpeakerSelector::Options{});
  constexpr SourceId kSources = 1000;
  for (SourceId id = 1; id <= kSources; ++id) selector.AddSource(id, false, 0);
  // 50 talkers at random levels; everyone else sends silence or their noise floor.
  Levels levels;
  std::vector<SourceId> ids(kSources);
  for (SourceId id = 1; id <= kSources; ++id) ids[id - 1] = id;
  std::shuffle(ids.begin(), ids.end(), random);
  std::uniform_int_distribution<int> talkLevel(15, 45);
  std::uniform_int_distribution<int> quietLevel(60, 127);
  std::vector<std::pair<int, SourceId>> talkers;  // (level, id): sorted = loudest first
  for (size_t i = 0; i < ids.size(); ++i) {
    const int level = i < 50 ? talkLevel(random) : quietLevel(random);
    levels[ids[i]] = static_cast<uint8_t>(level);
    if (i < 50) talkers.emplace_back(level, ids[i]);
  }
  std::sort(talkers.begin(), talkers.end());

  Talk(selector, levels, 0, 3000);
  const Ids speakers = Speakers(selector);
  CHECK(std::set<SourceId>(speakers.begin(), speakers.end()) ==
        std::set<SourceId>{talkers[0].second, talkers[1].second, talkers[2].second});
  CHECK(selector.Standby() == talkers[3].second);
}

TEST_CASE("ActiveSpeakerSelector follows a talk schedule without flapping",
          "[ActiveSpeakerSelector]") {
  // 10 s of 20 ms packets from 8 sources with default options. Talkers vary by up to +-6 dB
  // per packet; silent sources send their noise floor, except source 8, which sends nothing when
  // silent (DTX).
  struct Segment {
    int64_t fromMs;
    Levels talkers;  // base level of each talker
  };
  const std::vector<Segment> schedule = {
      {0, {{1, 25}, {2, 30}}},
      {2000, {{1, 25}, {2, 30}, {3, 28}}},
      {4000, {{3, 28}, {4, 22}, {5, 30}}},
      {6000, {{4, 22}, {6, 26}}},
      {8000, {{4, 30}, {8, 20}}},
  };
  const std::map<SourceId, uint8_t> noiseFloor = {{1, 127}, {2, 80},  {3, 70}, {4, 127},
                                                  {5, 90},  {6, 127}, {7, 65}};
  constexpr int64_t kEndMs = 10'000;
  // Smoothing reaches the threshold in ~250 ms and a holder may be held for 600 ms.
  constexpr int64_t kToleranceMs = 1000;

  ActiveSpeakerSelector selector(ActiveSpeakerSelector::Options{});
  AddSources(selector, 1, 8);
  std::mt19937 random(42);
  std::uniform_int_distribution<int> jitter(-6, 6);
  int slotSwitches = 0;
  int standbySwitches = 0;
  size_t segment = 0;
  for (int64_t t = 0; t < kEndMs; t += kPacketMs) {
    if (segment + 1 < schedule.size() && t >= schedule[segment + 1].fromMs) ++segment;
    const Levels& talkers = schedule[segment].talkers;
    Levels levels;
    for (SourceId id = 1; id <= 8; ++id) {
      if (const auto talking = talkers.find(id); talking != talkers.end()) {
        levels[id] = static_cast<uint8_t>(talking->second + jitter(random));
      } else if (const auto floor = noiseFloor.find(id); floor != noiseFloor.end()) {
        levels[id] = floor->second;
      }
    }
    const Counts counts = Talk(selector, levels, t, t + kPacketMs);
    slotSwitches += counts.slotSwitches;
    standbySwitches += counts.standbySwitches;

    if (t >= schedule[segment].fromMs + kToleranceMs) {
      const Ids speakers = Speakers(selector);
      for (const auto& [id, level] : talkers) {
        INFO("t=" << t << " talker " << id);
        CHECK(std::count(speakers.begin(), speakers.end(), id) == 1);
      }
    }
  }
  // Seven sources start talking over the run; each needs one switch and none flaps.
  CHECK(slotSwitches == 7);
  CHECK(standbySwitches <= 4);
}
