#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "congestion/TierBitrateCaps.h"

namespace myriad::congestion {
namespace {

using TierLimits = TierBitrateCaps::TierLimits;

// q/h/f: ladder maxima 150k/500k/1.5M, minima 0.3x.
constexpr std::array<TierLimits, 3> kLimits{
    {{45'000, 150'000}, {150'000, 500'000}, {450'000, 1'500'000}}};

struct VoteSpec {
  uint32_t subscriberId;
  int tier;
  uint32_t bps;
};

std::vector<uint32_t> CapsOf(TierBitrateCaps& caps) {
  const auto result = caps.Caps(kLimits);
  return {result.begin(), result.end()};
}

}  // namespace

TEST_CASE("TierBitrateCaps: each tier's cap is the highest vote, clamped to the tier's limits",
          "[TierBitrateCaps]") {
  struct Case {
    const char* name;
    std::vector<VoteSpec> votes;  // in order; a later vote of a subscriber replaces its earlier
    std::vector<uint32_t> removed;
    std::vector<uint32_t> expected;
  };
  const std::vector<Case> cases = {
      {"no votes: every tier at its maximum", {}, {}, {150'000, 500'000, 1'500'000}},
      {"one vote", {{1, 2, 600'000}}, {}, {150'000, 500'000, 600'000}},
      {"the highest of several",
       {{1, 2, 600'000}, {2, 2, 900'000}, {3, 2, 700'000}, {4, 0, 80'000}},
       {},
       {80'000, 500'000, 900'000}},
      {"below the minimum", {{1, 2, 300'000}}, {}, {150'000, 500'000, 450'000}},
      {"above the maximum", {{1, 1, 800'000}}, {}, {150'000, 500'000, 1'500'000}},
      {"a new vote moves the subscriber",
       {{1, 2, 900'000}, {1, 1, 300'000}},
       {},
       {150'000, 300'000, 1'500'000}},
      {"the highest voter leaves",
       {{1, 2, 900'000}, {2, 2, 600'000}},
       {1},
       {150'000, 500'000, 600'000}},
      {"the last voter leaves", {{1, 2, 900'000}}, {1}, {150'000, 500'000, 1'500'000}},
      {"a vote for no tier counts nowhere",
       {{1, 2, 600'000}, {1, -1, 600'000}},
       {},
       {150'000, 500'000, 1'500'000}},
      {"a tier out of range counts nowhere", {{1, 3, 100'000}}, {}, {150'000, 500'000, 1'500'000}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    TierBitrateCaps caps(3);
    for (const VoteSpec& vote : c.votes) caps.Vote(vote.subscriberId, vote.tier, vote.bps);
    for (const uint32_t id : c.removed) caps.Remove(id);
    CHECK(CapsOf(caps) == c.expected);
  }
}

TEST_CASE("TierBitrateCaps tells a subscriber the highest vote of the others",
          "[TierBitrateCaps]") {
  TierBitrateCaps caps(3);
  caps.Vote(1, 2, 1'500'000);
  caps.Vote(2, 2, 452'000);
  caps.Vote(3, 1, 500'000);
  // Answers come from the latest Caps(): none computed yet.
  CHECK(caps.HighestVote(2) == 0);
  CapsOf(caps);
  CHECK(caps.HighestVote(2) == 1'500'000);
  CHECK(caps.HighestVoteExcept(2, 2) == 1'500'000);  // someone else holds it up
  CHECK(caps.HighestVoteExcept(1, 2) == 452'000);    // without the holder
  CHECK(caps.HighestVoteExcept(3, 1) == 0);          // alone on tier 1
  CHECK(caps.HighestVoteExcept(3, 0) == 0);          // nobody on tier 0
  CHECK(caps.VoterCount() == 3);
  caps.Remove(1);
  CHECK(caps.VoterCount() == 2);
  CHECK(caps.HighestVote(2) == 1'500'000);  // until the next Caps()
  CapsOf(caps);
  CHECK(caps.HighestVote(2) == 452'000);
}

TEST_CASE("TierBitrateCaps: voter handles are O(1) and reused after Leave", "[TierBitrateCaps]") {
  TierBitrateCaps caps(2);
  const auto a = caps.Join(10);
  const auto b = caps.Join(20);
  CHECK(a != b);
  caps.VoteAt(a, 1, 300'000);
  caps.VoteAt(b, 1, 200'000);
  CapsOf(caps);
  CHECK(caps.HighestVoteExcept(10, 1) == 200'000);
  CHECK(caps.HighestVoteExcept(20, 1) == 300'000);
  caps.Leave(a);
  caps.Leave(a);  // twice is harmless
  CHECK(caps.VoterCount() == 1);
  const auto c = caps.Join(30);
  CHECK(c == a);  // the freed handle
  CapsOf(caps);
  // 30 has not voted yet: on no tier.
  CHECK(caps.HighestVote(1) == 200'000);
  caps.VoteAt(c, 5, 900'000);  // out of range: on no tier
  CapsOf(caps);
  CHECK(caps.HighestVote(1) == 200'000);
  CHECK(caps.HighestVote(0) == 0);
}

TEST_CASE("TierBitrateCaps: Changed() when a cap moved by 10% or 50 kbps since it was published",
          "[TierBitrateCaps]") {
  struct Case {
    const char* name;
    uint32_t top;     // subscriber 1's vote on tier 2, published at 1.5M
    uint32_t bottom;  // subscriber 2's vote on tier 0, published at 150k
    bool changed;
  };
  for (const Case& c : {
           Case{"unchanged", 1'500'000, 150'000, false},
           Case{"top -40k (2.7%)", 1'460'000, 150'000, false},
           Case{"top -50k", 1'450'000, 150'000, true},
           Case{"bottom -14k (9.3%)", 1'500'000, 136'000, false},
           Case{"bottom -15k (10%)", 1'500'000, 135'000, true},
           Case{"bottom up is clamped: no change", 1'500'000, 400'000, false},
           Case{"top below its minimum: 450k", 100'000, 150'000, true},
       }) {
    INFO(c.name);
    TierBitrateCaps caps(3);
    caps.Vote(1, 2, 1'500'000);
    caps.Vote(2, 0, 150'000);
    CHECK_FALSE(caps.Changed());  // nothing computed yet
    CapsOf(caps);
    CHECK(caps.Changed());  // never published
    caps.MarkPublished();
    CHECK_FALSE(caps.Changed());

    caps.Vote(1, 2, c.top);
    caps.Vote(2, 0, c.bottom);
    CapsOf(caps);
    CHECK(caps.Changed() == c.changed);
  }
}

TEST_CASE("TierBitrateCaps compares with what was published, so small drifts add up",
          "[TierBitrateCaps]") {
  TierBitrateCaps caps(3);
  caps.Vote(1, 2, 1'500'000);
  CapsOf(caps);
  caps.MarkPublished();
  for (const uint32_t bps : {1'480'000U, 1'470'000U, 1'460'000U}) {
    caps.Vote(1, 2, bps);
    CapsOf(caps);
    CHECK_FALSE(caps.Changed());
  }
  caps.Vote(1, 2, 1'440'000);
  CHECK(CapsOf(caps)[2] == 1'440'000);
  CHECK(caps.Changed());
  caps.MarkPublished();
  CHECK_FALSE(caps.Changed());
  // A subscriber leaving the top tier returns it to its maximum: a change.
  caps.Remove(1);
  CHECK(CapsOf(caps)[2] == 1'500'000);
  CHECK(caps.Changed());
}

TEST_CASE("TierBitrateCaps: the lowest tier sent is capped at its lowest vote",
          "[congestion][TierBitrateCaps]") {
  TierBitrateCaps caps(3);
  // q paused: h is the lowest tier sent, f above it.
  const std::array<TierLimits, 3> limits{
      {{0, 0, false}, {150'000, 500'000, true}, {450'000, 1'500'000, false}}};
  caps.Vote(1, 1, 400'000);
  caps.Vote(2, 1, 300'000);
  caps.Vote(3, 1, 100'000);  // below h's floor
  caps.Vote(4, 2, 900'000);
  caps.Vote(5, 2, 600'000);
  auto result = caps.Caps(limits);
  // h: nobody on it can step down, only be paused: the worst-connected sets the rate (at the
  // floor at least). f: the best-connected, as any tier with one below it.
  CHECK(result[1] == 150'000);
  CHECK(result[2] == 900'000);
  caps.Remove(3);
  result = caps.Caps(limits);
  CHECK(result[1] == 300'000);
  // The same votes where h is not the lowest tier sent: the highest vote.
  auto notLowest = limits;
  notLowest[1].capAtLowestVote = false;
  result = caps.Caps(notLowest);
  CHECK(result[1] == 400'000);
}

TEST_CASE("TierBitrateCaps: CapLowered() when the vote a published cap follows falls",
          "[TierBitrateCaps]") {
  TierBitrateCaps caps(3);
  const auto fast = caps.Join(1);
  const auto slow = caps.Join(2);
  caps.VoteAt(fast, 2, 1'200'000);  // holds f's cap
  caps.VoteAt(slow, 2, 800'000);
  CapsOf(caps);
  CHECK_FALSE(caps.CapLowered());  // nothing published yet: the first plan is not urgent
  caps.MarkPublished();

  // Someone else's vote falling moves no cap.
  caps.VoteAt(slow, 2, 500'000);
  CHECK_FALSE(caps.CapLowered());
  // The holder's vote falling by less than Changed()'s threshold is no hurry either.
  caps.VoteAt(fast, 2, 1'180'000);
  CHECK_FALSE(caps.CapLowered());
  // By 50 kbps or more it is.
  caps.VoteAt(fast, 2, 1'000'000);
  CHECK(caps.CapLowered());
  // Computing the caps answers it.
  CHECK(CapsOf(caps)[2] == 1'000'000);
  CHECK(caps.Changed());
  CHECK_FALSE(caps.CapLowered());
  caps.MarkPublished();
  // Rising is no hurry; the holder leaving the tier is (the next vote takes over).
  caps.VoteAt(fast, 2, 1'400'000);
  CHECK_FALSE(caps.CapLowered());
  CapsOf(caps);
  caps.MarkPublished();
  caps.VoteAt(fast, 1, 400'000);
  CHECK(caps.CapLowered());
  CHECK(CapsOf(caps)[2] == 500'000);

  // A vote under the tier's minimum lowers the cap only down to that minimum.
  TierBitrateCaps floor(3);
  const auto only = floor.Join(3);
  floor.VoteAt(only, 2, 460'000);
  CapsOf(floor);
  floor.MarkPublished();
  floor.VoteAt(only, 2, 100'000);  // f's minimum is 450k: the cap stays at 460k - 10k
  CHECK_FALSE(floor.CapLowered());
}

TEST_CASE("TierBitrateCaps: on the lowest tier any vote under the cap lowers it",
          "[TierBitrateCaps]") {
  TierBitrateCaps caps(3);
  const auto a = caps.Join(1);
  const auto b = caps.Join(2);
  caps.VoteAt(a, 0, 150'000);
  caps.VoteAt(b, 0, 140'000);
  std::array<TierLimits, 3> limits = kLimits;
  limits[0].capAtLowestVote = true;
  limits[0].minBps = 30'000;
  CHECK(caps.Caps(limits)[0] == 140'000);
  caps.MarkPublished();
  caps.VoteAt(a, 0, 149'000);  // above the cap: no change
  CHECK_FALSE(caps.CapLowered());
  caps.VoteAt(a, 0, 100'000);  // not the lowest before, the lowest now
  CHECK(caps.CapLowered());
  CHECK(caps.Caps(limits)[0] == 100'000);
  caps.MarkPublished();
  caps.VoteAt(a, TierBitrateCaps::kNoTier, 0);  // leaving raises the cap
  CHECK_FALSE(caps.CapLowered());
}
}  // namespace myriad::congestion
