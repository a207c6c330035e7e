#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "rtp/RtpStreamRewriter.h"
#include "rtp/SequenceNumber.h"
#include "simulcast/LayerSelector.h"

using myriad::rtp::RtpStreamRewriter;
using myriad::simulcast::LayerSelector;
using Decision = LayerSelector::Decision;

namespace {
constexpr int kNoTier = LayerSelector::kNoTier;
constexpr bool kKey = true;     // first packet of a key frame
constexpr bool kDelta = false;  // any other packet

enum class Outcome { kDrop, kForward, kSwitch };

// One packet offered to the selector and what it must decide.
struct Step {
  int tier;
  bool keyFrameStart;
  Outcome expected;
};

const char* Name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kDrop:
      return "drop";
    case Outcome::kForward:
      return "forward";
    case Outcome::kSwitch:
      return "switch";
  }
  return "?";
}

Outcome OutcomeOf(const Decision& decision) {
  if (decision.switched) return Outcome::kSwitch;
  return decision.forward ? Outcome::kForward : Outcome::kDrop;
}

// Offers the steps 10 ms apart, starting at nowMs (which it advances), and checks each decision.
void Expect(LayerSelector& selector, const std::vector<Step>& steps, int64_t& nowMs) {
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& step = steps[i];
    INFO("step " << i << ": tier " << step.tier << (step.keyFrameStart ? " key" : " delta")
                 << ", expected " << Name(step.expected));
    const Decision decision = selector.OnPacket(step.tier, step.keyFrameStart, nowMs);
    CHECK(Name(OutcomeOf(decision)) == std::string(Name(step.expected)));
    CHECK(decision.forward == (step.expected != Outcome::kDrop));  // switched implies forward
    nowMs += 10;
  }
}

// Makes the selector forward `tier` (it must be the target) by offering a key frame of it.
void StartAt(LayerSelector& selector, int tier, int64_t& nowMs) {
  REQUIRE(selector.TargetTier() == tier);
  REQUIRE(selector.OnPacket(tier, kKey, nowMs).switched);
  REQUIRE(selector.CurrentTier() == tier);
  nowMs += 10;
}
}  // namespace

TEST_CASE("LayerSelector forwards nothing until a key frame of the target", "[LayerSelector]") {
  LayerSelector selector;
  int64_t nowMs = 1000;
  CHECK(selector.CurrentTier() == kNoTier);
  CHECK(selector.TargetTier() == kNoTier);

  // No wanted tier: nothing at all, not even key frames.
  Expect(selector, {{0, kKey, Outcome::kDrop}, {1, kKey, Outcome::kDrop}}, nowMs);
  CHECK_FALSE(selector.KeyFrameRequest(nowMs));

  selector.SetWantedTier(1);
  CHECK(selector.TargetTier() == 1);
  CHECK(selector.CurrentTier() == kNoTier);
  Expect(selector,
         {
             {1, kDelta, Outcome::kDrop},  // a decoder cannot start on a delta frame
             {0, kKey, Outcome::kDrop},    // key frames of other tiers do not start it
             {2, kKey, Outcome::kDrop},
             {1, kDelta, Outcome::kDrop},
             {1, kKey, Outcome::kSwitch},
             {1, kDelta, Outcome::kForward},
             {0, kKey, Outcome::kDrop},
             {2, kDelta, Outcome::kDrop},
             {1, kKey, Outcome::kForward},  // a later key frame of the current tier: no new segment
             {1, kDelta, Outcome::kForward},
         },
         nowMs);
  CHECK(selector.CurrentTier() == 1);
  CHECK_FALSE(selector.IsSwitching());
  const auto& counters = selector.GetCounters();
  CHECK(counters.starts == 1);
  CHECK(counters.switchesUp == 0);
  CHECK(counters.switchesDown == 0);
}

TEST_CASE(
    "LayerSelector switches up and down only at the target's key frame, the old tier "
    "flowing until then",
    "[LayerSelector]") {
  struct Case {
    int from;
    int to;
  };
  const auto row = GENERATE(Case{0, 2}, Case{2, 0}, Case{1, 3}, Case{3, 1}, Case{0, 1}, Case{2, 1},
                            Case{0, 3}, Case{3, 0});
  INFO("from " << row.from << " to " << row.to);
  LayerSelector selector;
  int64_t nowMs = 0;
  selector.SetWantedTier(row.from);
  StartAt(selector, row.from, nowMs);

  selector.SetWantedTier(row.to);
  CHECK(selector.TargetTier() == row.to);
  CHECK(selector.CurrentTier() == row.from);
  CHECK(selector.IsSwitching());
  Expect(selector,
         {
             {row.from, kDelta, Outcome::kForward},
             {row.to, kDelta, Outcome::kDrop},  // the target, but not at a key frame
             {row.from, kKey, Outcome::kForward},
             {row.to, kDelta, Outcome::kDrop},
             {row.from, kDelta, Outcome::kForward},
             {row.to, kKey, Outcome::kSwitch},
             {row.from, kDelta, Outcome::kDrop},  // the old tier stops at once
             {row.from, kKey, Outcome::kDrop},
             {row.to, kDelta, Outcome::kForward},
         },
         nowMs);
  CHECK(selector.CurrentTier() == row.to);
  CHECK_FALSE(selector.IsSwitching());
  const auto& counters = selector.GetCounters();
  CHECK(counters.starts == 1);
  CHECK(counters.switchesUp == (row.to > row.from ? 1U : 0U));
  CHECK(counters.switchesDown == (row.to < row.from ? 1U : 0U));
}

TEST_CASE("LayerSelector drops third tiers and tiers out of range", "[LayerSelector]") {
  LayerSelector selector;
  int64_t nowMs = 0;
  selector.SetWantedTier(0);
  StartAt(selector, 0, nowMs);
  selector.SetWantedTier(2);
  Expect(selector,
         {
             {1, kKey, Outcome::kDrop},
             {3, kKey, Outcome::kDrop},
             {-1, kKey, Outcome::kDrop},
             {4, kKey, Outcome::kDrop},
             {99, kDelta, Outcome::kDrop},
             {0, kDelta, Outcome::kForward},
             {2, kKey, Outcome::kSwitch},
             {1, kKey, Outcome::kDrop},
             {3, kDelta, Outcome::kDrop},
             {0, kKey, Outcome::kDrop},
             {2, kDelta, Outcome::kForward},
         },
         nowMs);
}

TEST_CASE("LayerSelector steps down and up one tier at a time, each at a key frame",
          "[LayerSelector]") {
  LayerSelector selector;
  int64_t nowMs = 0;
  selector.SetWantedTier(3);
  CHECK(selector.MaxTier() == LayerSelector::kUncapped);
  StartAt(selector, 3, nowMs);

  // From the top to the bottom of four tiers: three calls.
  for (const int expected : {2, 1, 0}) {
    INFO("down to " << expected);
    const int previous = selector.CurrentTier();
    REQUIRE(selector.StepDown());
    CHECK(selector.MaxTier() == expected);
    CHECK(selector.TargetTier() == expected);
    CHECK(selector.CurrentTier() == previous);  // not before its key frame
    Expect(selector,
           {{previous, kDelta, Outcome::kForward},
            {expected, kDelta, Outcome::kDrop},
            {expected, kKey, Outcome::kSwitch},
            {previous, kDelta, Outcome::kDrop}},
           nowMs);
    CHECK(selector.CurrentTier() == expected);
  }
  CHECK_FALSE(selector.StepDown());  // never below tier 0
  CHECK(selector.MaxTier() == 0);
  CHECK(selector.GetCounters().switchesDown == 3);

  for (const int expected : {1, 2, 3}) {
    INFO("up to " << expected);
    const int previous = selector.CurrentTier();
    REQUIRE(selector.StepUp());
    CHECK(selector.TargetTier() == expected);
    Expect(selector,
           {{previous, kDelta, Outcome::kForward},
            {expected, kDelta, Outcome::kDrop},
            {expected, kKey, Outcome::kSwitch}},
           nowMs);
  }
  CHECK_FALSE(selector.StepUp());  // never above the wanted tier
  CHECK(selector.MaxTier() == 3);
  CHECK(selector.GetCounters().switchesUp == 3);
}

TEST_CASE("LayerSelector StepDown counts from what is forwarded or pending", "[LayerSelector]") {
  struct Case {
    const char* name;
    int wanted;
    uint32_t available;
    int capBefore;  // SetMaxTier before starting
    int forwarded;  // tier started at
    int capAfter;   // after one StepDown
  };
  const auto row =
      GENERATE(Case{"uncapped, forwarding the top", 3, LayerSelector::kAllTiers, 3, 3, 2},
               Case{"uncapped, forwarding a low wanted tier", 1, LayerSelector::kAllTiers, 3, 1, 0},
               Case{"uncapped, upper tiers paused", 3, LayerSelector::LowestTiers(2), 3, 1, 0},
               Case{"capped below wanted", 3, LayerSelector::kAllTiers, 2, 2, 1},
               Case{"already at the bottom", 0, LayerSelector::kAllTiers, 2, 0, 2});
  INFO(row.name);
  LayerSelector selector;
  int64_t nowMs = 0;
  selector.SetAvailableTiers(row.available);
  selector.SetMaxTier(row.capBefore);
  selector.SetWantedTier(row.wanted);
  StartAt(selector, row.forwarded, nowMs);
  CHECK(selector.StepDown() == (row.capAfter != row.capBefore));
  CHECK(selector.MaxTier() == row.capAfter);
  CHECK(selector.TargetTier() == std::min(row.forwarded, std::max(row.capAfter, 0)));

  SECTION("a second step before the key frame goes one further") {
    const int target = selector.TargetTier();
    CHECK(selector.StepDown() == (target > 0));
    CHECK(selector.TargetTier() == std::max(target - 1, 0));
    CHECK(selector.CurrentTier() == row.forwarded);
  }
}

TEST_CASE("LayerSelector targets min(wanted, cap)", "[LayerSelector]") {
  struct Action {
    const char* name;
    std::function<bool(LayerSelector&)> apply;  // returns what a StepUp/StepDown returned
    bool result;
    int cap;
    int target;
  };
  const auto set = [](auto f) {
    return [f](LayerSelector& s) {
      f(s);
      return true;
    };
  };
  const std::vector<Action> actions = {
      {"wanted 3", set([](LayerSelector& s) { s.SetWantedTier(3); }), true, 3, 3},
      {"cap 1", set([](LayerSelector& s) { s.SetMaxTier(1); }), true, 1, 1},
      {"wanted 0", set([](LayerSelector& s) { s.SetWantedTier(0); }), true, 1, 0},
      {"step up: cap already above wanted", [](LayerSelector& s) { return s.StepUp(); }, false, 1,
       0},
      {"wanted 2", set([](LayerSelector& s) { s.SetWantedTier(2); }), true, 1, 1},
      {"step up", [](LayerSelector& s) { return s.StepUp(); }, true, 2, 2},
      {"step up: at wanted", [](LayerSelector& s) { return s.StepUp(); }, false, 2, 2},
      {"wanted 3: the cap holds", set([](LayerSelector& s) { s.SetWantedTier(3); }), true, 2, 2},
      {"step up", [](LayerSelector& s) { return s.StepUp(); }, true, 3, 3},
      {"wanted 9 counts as the top", set([](LayerSelector& s) { s.SetWantedTier(9); }), true, 3, 3},
      {"cap -5 counts as 0", set([](LayerSelector& s) { s.SetMaxTier(-5); }), true, 0, 0},
      {"step down at 0", [](LayerSelector& s) { return s.StepDown(); }, false, 0, 0},
      {"cap 99 is uncapped", set([](LayerSelector& s) { s.SetMaxTier(99); }), true, 3, 3},
      {"no wanted tier", set([](LayerSelector& s) { s.SetWantedTier(kNoTier); }), true, 3, kNoTier},
      {"step up without wanted", [](LayerSelector& s) { return s.StepUp(); }, false, 3, kNoTier},
      {"step down with nothing forwarded lowers the cap",
       [](LayerSelector& s) { return s.StepDown(); }, true, 2, kNoTier},
      {"wanted 3 again", set([](LayerSelector& s) { s.SetWantedTier(3); }), true, 2, 2},
  };
  LayerSelector selector;
  for (const Action& action : actions) {
    INFO(action.name);
    CHECK(action.apply(selector) == action.result);
    CHECK(selector.MaxTier() == action.cap);
    CHECK(selector.TargetTier() == action.target);
  }
}

TEST_CASE("LayerSelector falls back from an unavailable target: nearest below, else lowest above",
          "[LayerSelector]") {
  struct Case {
    int wanted;
    int cap;
    uint32_t available;
    int target;
  };
  const auto row = GENERATE(
      Case{3, 3, 0b1111, 3}, Case{3, 3, 0b0111, 2}, Case{3, 3, 0b0101, 2}, Case{3, 3, 0b0001, 0},
      Case{2, 3, 0b1011, 1}, Case{2, 3, 0b1000, 3}, Case{1, 3, 0b1100, 2}, Case{0, 3, 0b1110, 1},
      Case{3, 1, 0b1100, 2},  // over the cap rather than nothing
      Case{3, 1, 0b1110, 1}, Case{2, 3, 0b0000, kNoTier}, Case{kNoTier, 3, 0b1111, kNoTier},
      Case{3, 3, 0b110000, kNoTier});  // bits beyond the tiers are ignored
  INFO("wanted " << row.wanted << " cap " << row.cap << " available " << row.available);
  LayerSelector selector;
  selector.SetWantedTier(row.wanted);
  selector.SetMaxTier(row.cap);
  selector.SetAvailableTiers(row.available);
  CHECK(selector.TargetTier() == row.target);
  // The same whatever order the inputs arrive in.
  LayerSelector reordered;
  reordered.SetAvailableTiers(row.available);
  reordered.SetMaxTier(row.cap);
  reordered.SetWantedTier(row.wanted);
  CHECK(reordered.TargetTier() == row.target);
}

TEST_CASE("LayerSelector keeps the old tier flowing when the target is paused", "[LayerSelector]") {
  LayerSelector selector;
  int64_t nowMs = 0;
  selector.SetWantedTier(2);
  StartAt(selector, 2, nowMs);

  // The plan pauses tier 2: the target falls back to 1, tier 2 flows until 1's key frame.
  selector.SetAvailableTiers(0b1011);
  CHECK(selector.TargetTier() == 1);
  Expect(selector, {{2, kDelta, Outcome::kForward}, {1, kKey, Outcome::kSwitch}}, nowMs);

  // Tier 2 comes back: up again at its key frame.
  selector.SetAvailableTiers(LayerSelector::kAllTiers);
  CHECK(selector.TargetTier() == 2);
  Expect(selector,
         {{1, kDelta, Outcome::kForward}, {2, kDelta, Outcome::kDrop}, {2, kKey, Outcome::kSwitch}},
         nowMs);

  SECTION("a target change back to the current tier cancels the pending switch") {
    selector.SetAvailableTiers(0b1011);
    CHECK(selector.IsSwitching());
    selector.SetAvailableTiers(LayerSelector::kAllTiers);
    CHECK_FALSE(selector.IsSwitching());
    Expect(selector, {{1, kKey, Outcome::kDrop}, {2, kDelta, Outcome::kForward}}, nowMs);
  }
  SECTION("nothing available stops forwarding at once; resuming waits for a key frame") {
    selector.SetAvailableTiers(0);
    CHECK(selector.TargetTier() == kNoTier);
    CHECK(selector.CurrentTier() == kNoTier);
    CHECK_FALSE(selector.KeyFrameRequest(nowMs));
    Expect(selector, {{2, kDelta, Outcome::kDrop}, {2, kKey, Outcome::kDrop}}, nowMs);
    selector.SetAvailableTiers(LayerSelector::LowestTiers(3));
    Expect(selector, {{2, kDelta, Outcome::kDrop}, {2, kKey, Outcome::kSwitch}}, nowMs);
    CHECK(selector.GetCounters().starts == 2);
  }
}

TEST_CASE("LayerSelector requests key frames at once, then every retry interval until switched",
          "[LayerSelector]") {
  const auto retryMs = GENERATE(int64_t{500}, int64_t{200});
  LayerSelector::Options options;
  options.keyFrameRetryMs = retryMs;
  LayerSelector selector(options);
  INFO("retry " << retryMs);

  // Polled every 20 ms (a worker tick); returns the times and tiers of the requests.
  std::vector<std::pair<int64_t, int>> requests;
  const auto poll = [&](int64_t fromMs, int64_t toMs) {
    requests.clear();
    for (int64_t t = fromMs; t < toMs; t += 20) {
      if (const auto tier = selector.KeyFrameRequest(t)) requests.emplace_back(t, *tier);
    }
  };

  poll(0, 1000);
  CHECK(requests.empty());  // no target

  selector.SetWantedTier(2);
  poll(1000, 1000 + 3 * retryMs + 10);
  const std::vector<std::pair<int64_t, int>> expected = {
      {1000, 2}, {1000 + retryMs, 2}, {1000 + 2 * retryMs, 2}, {1000 + 3 * retryMs, 2}};
  CHECK(requests == expected);

  // A new target is asked for at once, whatever the retry timer says.
  int64_t nowMs = 1000 + 3 * retryMs + 20;
  selector.SetWantedTier(1);
  CHECK(selector.KeyFrameRequest(nowMs) == 1);
  CHECK_FALSE(selector.KeyFrameRequest(nowMs + retryMs - 1));
  CHECK(selector.KeyFrameRequest(nowMs + retryMs) == 1);
  nowMs += retryMs + 10;

  // Switched: no more requests.
  REQUIRE(selector.OnPacket(1, kKey, nowMs).switched);
  poll(nowMs, nowMs + 5000);
  CHECK(requests.empty());
  nowMs += 5000;
  CHECK(selector.GetCounters().keyFrameRequests == 6);

  // Setting the same wanted tier again or a target back to the current tier asks nothing.
  selector.SetWantedTier(1);
  CHECK_FALSE(selector.KeyFrameRequest(nowMs));
  selector.SetWantedTier(3);
  selector.SetWantedTier(1);
  CHECK_FALSE(selector.KeyFrameRequest(nowMs));
  // A later change asks at once again.
  selector.SetWantedTier(0);
  CHECK(selector.KeyFrameRequest(nowMs + 1) == 0);
  selector.SetWantedTier(kNoTier);
  CHECK_FALSE(selector.KeyFrameRequest(nowMs + 2));
  CHECK_FALSE(selector.KeyFrameRequest(nowMs + 2 + retryMs));
  CHECK(selector.GetCounters().keyFrameRequests == 7);
}

TEST_CASE("LayerSelector moves away from a tier that stopped and back when it resumes",
          "[LayerSelector]") {
  LayerSelector selector;  // stale after 1000 ms; every tier counts as available
  int64_t nowMs = 0;
  selector.SetWantedTier(2);
  StartAt(selector, 2, nowMs);
  // Tiers 0-2 flow (each at 30 fps; tier 3 never comes) until 2000 ms; then tier 2 stops
  // without the plan saying so.
  const auto flow = [&](std::initializer_list<int> tiers, int64_t untilMs) {
    for (; nowMs < untilMs; nowMs += 33) {
      for (const int tier : tiers) selector.OnPacket(tier, kDelta, nowMs);
    }
  };
  flow({0, 1, 2}, 2000);
  CHECK(selector.StaleTiers() == 0b1000);  // silent since the track's first packet
  const int64_t lastTier2Ms = nowMs - 33;
  flow({0, 1}, lastTier2Ms + 990);
  CHECK(selector.TargetTier() == 2);  // not yet stale
  CHECK_FALSE(selector.KeyFrameRequest(lastTier2Ms + 999));
  CHECK(selector.KeyFrameRequest(lastTier2Ms + 1000) == 1);
  CHECK(selector.StaleTiers() == 0b1100);
  CHECK(selector.TargetTier() == 1);
  CHECK(selector.CurrentTier() == 2);
  const int64_t firstRequestMs = lastTier2Ms + 1000;

  // Tier 1's key frame is slow to come: the requests keep going.
  std::vector<int64_t> requestTimes;
  for (nowMs = firstRequestMs + 20; nowMs < firstRequestMs + 1600; nowMs += 20) {
    selector.OnPacket(0, kDelta, nowMs);
    CHECK_FALSE(selector.OnPacket(1, kDelta, nowMs).forward);
    if (const auto tier = selector.KeyFrameRequest(nowMs)) {
      CHECK(*tier == 1);
      requestTimes.push_back(nowMs - firstRequestMs);
    }
  }
  CHECK(requestTimes == std::vector<int64_t>{500, 1000, 1500});
  Expect(selector, {{1, kKey, Outcome::kSwitch}, {1, kDelta, Outcome::kForward}}, nowMs);
  CHECK_FALSE(selector.KeyFrameRequest(nowMs));

  // Tier 2 resumes with a key frame: that very packet switches back up.
  Expect(selector, {{2, kKey, Outcome::kSwitch}, {1, kDelta, Outcome::kDrop}}, nowMs);
  CHECK(selector.StaleTiers() == 0b1000);
  CHECK(selector.GetCounters().switchesDown == 1);
  CHECK(selector.GetCounters().switchesUp == 1);

  SECTION("when every tier stops, the target stays: nothing flows to move to") {
    CHECK_FALSE(selector.KeyFrameRequest(nowMs + 5000));
    CHECK(selector.StaleTiers() == 0b1111);
    CHECK(selector.TargetTier() == 2);
    CHECK(selector.CurrentTier() == 2);
    nowMs += 5000;
    Expect(selector, {{2, kDelta, Outcome::kForward}}, nowMs);
  }
  SECTION("the plan pausing a tier needs no waiting") {
    selector.SetAvailableTiers(0b0011);
    CHECK(selector.TargetTier() == 1);
    CHECK(selector.KeyFrameRequest(nowMs) == 1);
  }
}

TEST_CASE("LayerSelector switches to its target's key frame while the current tier is stale",
          "[LayerSelector]") {
  LayerSelector selector;
  int64_t nowMs = 0;
  selector.SetWantedTier(3);
  const int64_t lastTier3Ms = nowMs;
  StartAt(selector, 3, nowMs);
  REQUIRE(selector.StepDown());  // target 2
  CHECK(selector.KeyFrameRequest(nowMs) == 2);
  const int64_t requestMs = nowMs;

  // Tier 3 falls silent; tier 2 sends only delta frames for three seconds.
  std::vector<int64_t> requestTimes;
  for (int64_t t = requestMs + 20; t < requestMs + 3000; t += 20) {
    CHECK_FALSE(selector.OnPacket(2, kDelta, t).forward);
    if (const auto tier = selector.KeyFrameRequest(t)) {
      CHECK(*tier == 2);
      requestTimes.push_back(t - requestMs);
    }
  }
  CHECK(requestTimes == std::vector<int64_t>{500, 1000, 1500, 2000, 2500});
  CHECK(selector.StaleTiers() == 0b1011);
  CHECK(selector.TargetTier() == 2);
  CHECK(selector.CurrentTier() == 3);
  const Decision decision = selector.OnPacket(2, kKey, requestMs + 3000);
  CHECK(decision.switched);
  // The wall time since tier 3's last packet, at 90 kHz.
  CHECK(decision.timestampDelta == (requestMs + 3000 - lastTier3Ms) * 90);
}

TEST_CASE("LayerSelector stops at once without a wanted tier and restarts at a key frame",
          "[LayerSelector]") {
  LayerSelector selector;
  int64_t nowMs = 0;
  selector.SetWantedTier(1);
  const Decision first = selector.OnPacket(1, kKey, nowMs);
  CHECK(first == Decision{.forward = true, .switched = true, .timestampDelta = 0});
  CHECK(selector.OnPacket(1, kDelta, 40) == Decision{.forward = true});

  selector.SetWantedTier(kNoTier);
  CHECK(selector.CurrentTier() == kNoTier);
  CHECK_FALSE(selector.OnPacket(1, kDelta, 50).forward);
  CHECK_FALSE(selector.OnPacket(1, kKey, 60).forward);

  selector.SetWantedTier(1);
  CHECK_FALSE(selector.OnPacket(1, kDelta, 70).forward);
  // A new segment: the rewriter's timestamps advance by the time since the last forwarded packet.
  CHECK(selector.OnPacket(1, kKey, 140) ==
        Decision{.forward = true, .switched = true, .timestampDelta = 100 * 90});
  CHECK(selector.GetCounters().starts == 2);
  CHECK(selector.GetCounters().switchesUp == 0);
}

TEST_CASE("LayerSelector converts wall time to 90 kHz timestamp deltas", "[LayerSelector]") {
  struct Case {
    int64_t elapsedMs;
    uint32_t delta;
  };
  const auto row = GENERATE(Case{1, 90}, Case{33, 2970}, Case{1000, 90000},
                            Case{0, 90},   // two frames never share a timestamp
                            Case{-5, 90},  // a clock step backwards
                            Case{int64_t{1} << 40, 0x7FFFFFFFU / 90 * 90});  // stays "newer"
  INFO("elapsed " << row.elapsedMs);
  CHECK(LayerSelector::TimestampDeltaFor(row.elapsedMs) == row.delta);
}

namespace {
// --- End to end: a publisher with three simulcast tiers, the selector and the rewriter. ---

struct PublishedPacket {
  int tier = 0;
  int64_t seqExtended = 0;  // the publisher's own counter, never wraps
  uint32_t timestamp = 0;
  bool keyFrameStart = false;
  uint16_t Seq() const { return static_cast<uint16_t>(seqExtended); }
};

struct Delivery {
  PublishedPacket packet;
  size_t index = 0;  // arrival order
  bool forwarded = false;
  int segment = -1;             // the outgoing segment it went out in
  int64_t outSeqExtended = -1;  // set when it went out
  uint32_t outTimestamp = 0;
};

struct Segment {
  int tier = 0;
  size_t startIndex = 0;  // arrival index of the key frame packet that started it
  int64_t inFirst = 0;    // its incoming extended seq
  int64_t outFirst = 0;
  int64_t outLast = 0;  // highest outgoing extended seq sent in it
  std::vector<size_t> deliveries;
};

constexpr int kTiers = 3;
constexpr int64_t kFrameMs = 33;
constexpr uint32_t kFrameTicks = 3000;
constexpr int kKeyFrameIntervalFrames = 90;  // a periodic key frame every 3 s per tier
constexpr int kPliDelayFrames = 2;           // round trip to the publisher

struct EndToEndResult {
  std::vector<Delivery> deliveries;
  std::vector<Segment> segments;
  std::set<std::pair<int, int64_t>> lost;  // (tier, seqExtended)
  LayerSelector::Counters counters;
};

EndToEndResult RunEndToEnd(uint32_t seed) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution lose(0.03), holdBack(0.06), swapAdjacent(0.1);
  const std::array<uint32_t, kTiers> ssrcs = {0x1000, 0x2000, 0x3000};
  std::array<int64_t, kTiers> nextSeq{};
  std::array<uint32_t, kTiers> timestampBase{};
  std::array<int, kTiers> keyFramePhase{};
  std::array<int, kTiers> pliFrame{-1, -1, -1};  // frame at which a requested key frame comes
  for (int tier = 0; tier < kTiers; ++tier) {
    nextSeq[tier] = std::uniform_int_distribution<int>(0, 65535)(rng);
    timestampBase[tier] = static_cast<uint32_t>(rng());
    keyFramePhase[tier] = std::uniform_int_distribution<int>(0, kKeyFrameIntervalFrames - 1)(rng);
  }
  nextSeq[2] = 65536 - 300;  // the busiest tier wraps its sequence numbers early on

  LayerSelector selector;
  RtpStreamRewriter rewriter(rng());
  myriad::rtp::SeqNumUnwrapper outUnwrapper;
  EndToEndResult result;
  std::vector<PublishedPacket> heldBack;  // delivered after the next frame's packets

  // What the subscriber's side does, frame by frame (the allocator and plan changes).
  const std::map<int, std::function<void()>> script = {
      {0, [&] { selector.SetWantedTier(1); }},
      {60, [&] { selector.SetWantedTier(2); }},                              // up 1 -> 2
      {150, [&] { selector.StepDown(); }},                                   // down 2 -> 1
      {170, [&] { selector.StepDown(); }},                                   // down 1 -> 0
      {260, [&] { selector.StepUp(); }},                                     // up 0 -> 1
      {330, [&] { selector.StepUp(); }},                                     // up 1 -> 2
      {420, [&] { selector.SetAvailableTiers(0b011); }},                     // tier 2 paused: 1
      {500, [&] { selector.SetAvailableTiers(LayerSelector::kAllTiers); }},  // back to 2
      {560, [&] { selector.SetWantedTier(0); }},                             // down 2 -> 0
  };
  constexpr int kFrames = 640;

  for (int frame = 0; frame < kFrames; ++frame) {
    const int64_t nowMs = frame * kFrameMs;
    if (const auto action = script.find(frame); action != script.end()) action->second();
    if (const auto tier = selector.KeyFrameRequest(nowMs)) {
      if (pliFrame[*tier] < 0) pliFrame[*tier] = frame + kPliDelayFrames;
    }

    // The publisher encodes one frame per tier (tier 2 paused from frame 420 to 499, as the
    // plan says); key frames are bigger.
    std::array<std::vector<PublishedPacket>, kTiers> perTier;
    for (int tier = 0; tier < kTiers; ++tier) {
      if (tier == 2 && frame >= 420 && frame < 500) continue;
      const bool resumed = tier == 2 && frame == 500;
      const bool key = (frame + keyFramePhase[tier]) % kKeyFrameIntervalFrames == 0 ||
                       pliFrame[tier] == frame || resumed || frame == 0;
      if (pliFrame[tier] == frame) pliFrame[tier] = -1;
      const int packets = key ? 2 * (tier + 1) + 2 : tier + 1;
      for (int i = 0; i < packets; ++i) {
        perTier[tier].push_back({tier, nextSeq[tier]++,
                                 timestampBase[tier] + static_cast<uint32_t>(frame) * kFrameTicks,
                                 key && i == 0});
      }
    }
    // Interleave the tiers at random, each in its own order; then the network: held-back
    // packets of the previous frame arrive after this frame's, neighbours swap, packets vanish.
    std::vector<PublishedPacket> arrivals;
    std::array<size_t, kTiers> taken{};
    for (;;) {
      std::vector<int> left;
      for (int tier = 0; tier < kTiers; ++tier) {
        if (taken[tier] < perTier[tier].size()) left.push_back(tier);
      }
      if (left.empty()) break;
      const int tier = left[std::uniform_int_distribution<size_t>(0, left.size() - 1)(rng)];
      arrivals.push_back(perTier[tier][taken[tier]++]);
    }
    std::vector<PublishedPacket> nextHeldBack;
    std::vector<PublishedPacket> network;
    for (const PublishedPacket& packet : arrivals) {
      if (lose(rng)) {
        result.lost.emplace(packet.tier, packet.seqExtended);
      } else if (holdBack(rng)) {
        nextHeldBack.push_back(packet);
      } else {
        network.push_back(packet);
      }
    }
    network.insert(network.end(), heldBack.begin(), heldBack.end());
    heldBack = std::move(nextHeldBack);
    for (size_t i = 1; i < network.size(); ++i) {
      if (swapAdjacent(rng)) std::swap(network[i - 1], network[i]);
    }

    for (const PublishedPacket& packet : network) {
      Delivery delivery{.packet = packet, .index = result.deliveries.size()};
      const Decision decision = selector.OnPacket(packet.tier, packet.keyFrameStart, nowMs);
      delivery.forwarded = decision.forward;
      if (decision.switched) {
        // Only at the first packet of a key frame of the target (which this packet may have
        // just made fresh again: tier 2 resuming after its pause).
        CHECK(packet.keyFrameStart);
        CHECK(packet.tier == selector.TargetTier());
        rewriter.SwitchSource(ssrcs[packet.tier], decision.timestampDelta);
        Segment& segment = result.segments.emplace_back();
        segment.tier = packet.tier;
        segment.startIndex = delivery.index;
        segment.inFirst = packet.seqExtended;
      }
      if (decision.forward) {
        CHECK(packet.tier == selector.CurrentTier());
        REQUIRE_FALSE(result.segments.empty());
        if (const auto out = rewriter.Rewrite(packet.Seq(), packet.timestamp)) {
          Segment& segment = result.segments.back();
          delivery.segment = static_cast<int>(result.segments.size()) - 1;
          delivery.outSeqExtended = outUnwrapper.Unwrap(out->sequenceNumber);
          delivery.outTimestamp = out->timestamp;
          if (decision.switched) segment.outFirst = segment.outLast = delivery.outSeqExtended;
          segment.outLast = std::max(segment.outLast, delivery.outSeqExtended);
          segment.deliveries.push_back(delivery.index);
          // A receiver's NACK for it maps back to this very packet of this tier.
          CHECK(rewriter.ToIncoming(out->sequenceNumber) ==
                RtpStreamRewriter::IncomingPacket{ssrcs[packet.tier], packet.Seq()});
        } else {
          // The rewriter only refuses packets from before the segment's key frame.
          CHECK(packet.seqExtended < result.segments.back().inFirst);
        }
      }
      result.deliveries.push_back(delivery);
    }
  }
  result.counters = selector.GetCounters();
  return result;
}
}  // namespace

TEST_CASE("LayerSelector with RtpStreamRewriter sends one continuous stream from three tiers",
          "[LayerSelector]") {
  int gapsFromLoss = 0;
  int gapsFromEarlyArrival = 0;
  int gapsFromLateArrival = 0;
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    const EndToEndResult run = RunEndToEnd(seed);
    const auto& deliveries = run.deliveries;
    const auto& segments = run.segments;

    // The script's changes happened: 1, up to 2, down to 1 and 0, up to 1 and 2, down to 1
    // (pause), up to 2, down to 0.
    CHECK(run.counters.starts == 1);
    CHECK(run.counters.switchesUp == 4);
    CHECK(run.counters.switchesDown == 4);
    REQUIRE(segments.size() == 9);
    const std::vector<int> tiers = {1, 2, 1, 0, 1, 2, 1, 2, 0};
    for (size_t k = 0; k < segments.size(); ++k) CHECK(segments[k].tier == tiers[k]);

    std::set<int64_t> sent;
    for (size_t k = 0; k < segments.size(); ++k) {
      const Segment& segment = segments[k];
      INFO("segment " << k << " (tier " << segment.tier << ")");
      REQUIRE_FALSE(segment.deliveries.empty());
      const Delivery& first = deliveries[segment.deliveries.front()];
      CHECK(first.index == segment.startIndex);
      CHECK(first.packet.keyFrameStart);
      const int64_t seqOffset = first.outSeqExtended - first.packet.seqExtended;
      const uint32_t timestampOffset = first.outTimestamp - first.packet.timestamp;
      const size_t endIndex =
          k + 1 < segments.size() ? segments[k + 1].startIndex : deliveries.size();
      for (const size_t index : segment.deliveries) {
        const Delivery& delivery = deliveries[index];
        // Nothing leaks: only the segment's tier, only while it is the segment.
        CHECK(delivery.packet.tier == segment.tier);
        CHECK(index >= segment.startIndex);
        CHECK(index < endIndex);
        // One offset per segment: increments of one, gaps kept, order as sent.
        CHECK(delivery.outSeqExtended - delivery.packet.seqExtended == seqOffset);
        CHECK(delivery.outTimestamp - delivery.packet.timestamp == timestampOffset);
        CHECK(sent.insert(delivery.outSeqExtended).second);  // never twice
      }
      // Every packet of the tier that arrived during the segment and is not older than its key
      // frame went out.
      for (size_t index = segment.startIndex; index < endIndex; ++index) {
        const Delivery& delivery = deliveries[index];
        if (delivery.packet.tier != segment.tier) {
          CHECK_FALSE(delivery.forwarded);
        } else if (delivery.packet.seqExtended >= segment.inFirst) {
          CHECK(delivery.segment == static_cast<int>(k));
        }
      }
      if (k > 0) {
        const Segment& previous = segments[k - 1];
        // Seamless: the next sequence number, and a later timestamp than anything before.
        CHECK(segment.outFirst == previous.outLast + 1);
        for (const size_t index : previous.deliveries) {
          CHECK(myriad::rtp::IsTimestampNewer(first.outTimestamp, deliveries[index].outTimestamp));
        }
      }
    }

    // Every hole in the outgoing numbers is a packet of the forwarded tier that was lost, that
    // arrived before its segment's key frame, or that arrived after the switch away from its
    // tier: lost for this subscriber, and the receiver NACKs it (MapRetransmission serves it).
    std::map<std::pair<int, int64_t>, size_t> arrival;  // (tier, seq) -> arrival index
    for (const Delivery& delivery : deliveries) {
      arrival[{delivery.packet.tier, delivery.packet.seqExtended}] = delivery.index;
    }
    for (size_t k = 0; k < segments.size(); ++k) {
      const Segment& segment = segments[k];
      const Delivery& first = deliveries[segment.deliveries.front()];
      const int64_t seqOffset = first.outSeqExtended - first.packet.seqExtended;
      for (int64_t out = segment.outFirst; out <= segment.outLast; ++out) {
        if (sent.count(out) != 0) continue;
        const std::pair<int, int64_t> incoming{segment.tier, out - seqOffset};
        INFO("segment " << k << " hole at incoming seq " << incoming.second);
        if (run.lost.count(incoming) != 0) {
          ++gapsFromLoss;
          continue;
        }
        const auto it = arrival.find(incoming);
        REQUIRE(it != arrival.end());
        const size_t endIndex =
            k + 1 < segments.size() ? segments[k + 1].startIndex : deliveries.size();
        if (it->second < segment.startIndex) {
          ++gapsFromEarlyArrival;
        } else {
          // A straggler of the old tier after the switch: not forwarded, or it would leak.
          CHECK(it->second >= endIndex);
          ++gapsFromLateArrival;
        }
      }
    }
  }
  // The runs did exercise both kinds of holes.
  CHECK(gapsFromLoss > 0);
  CHECK(gapsFromEarlyArrival > 0);
  CHECK(gapsFromLateArrival > 0);
}
