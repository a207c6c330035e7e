#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "congestion/BandwidthAllocator.h"
#include "congestion/TierBitrateCaps.h"

namespace myriad::congestion {
namespace {

using Priority = BandwidthAllocator::Priority;
using Direction = BandwidthAllocator::Direction;
using Track = BandwidthAllocator::Track;
using Input = BandwidthAllocator::Input;
using Decision = BandwidthAllocator::Decision;

constexpr int kNoTier = BandwidthAllocator::kNoTier;
constexpr int64_t kRoundMs = 100;

// The brief's 3-tier track: q/h/f with ladder maxima 150k/500k/1.5M, minima 0.3x.
constexpr std::array<uint32_t, 3> kMinBps{45'000, 150'000, 450'000};
constexpr std::array<uint32_t, 3> kMaxBps{150'000, 500'000, 1'500'000};

constexpr uint32_t kAudioBps = 32'000;
constexpr uint32_t kOverheadBps = 16'000;
constexpr uint32_t kReservedBps = kAudioBps + kOverheadBps;

const char* Name(Direction direction) {
  switch (direction) {
    case Direction::kDown:
      return "down";
    case Direction::kSame:
      return "same";
    case Direction::kUp:
      return "up";
  }
  return "?";
}

// A 3-tier track nobody else receives, sent at its ladder rates.
Track ThreeTiers(uint32_t id, Priority priority, int wanted, int current) {
  Track track;
  track.id = id;
  track.priority = priority;
  track.wantedTier = wanted;
  track.currentTier = current;
  track.tierCount = 3;
  for (size_t t = 0; t < 3; ++t) track.tiers[t] = {kMinBps[t], kMaxBps[t], kMaxBps[t], 0};
  return track;
}

// `available` is what is left for video after audio and overhead.
Input InputOf(uint32_t available, std::vector<Track> tracks) {
  Input input;
  input.estimateBps = available + kReservedBps;
  input.audioBps = kAudioBps;
  input.overheadBps = kOverheadBps;
  input.tracks = std::move(tracks);
  return input;
}

void SetAvailable(Input& input, uint32_t available) {
  input.estimateBps = available + kReservedBps;
}

// Runs one round at `nowMs` and puts every track on the tier decided, as the server would.
const BandwidthAllocator::Output& Round(BandwidthAllocator& allocator, Input& input,
                                        int64_t nowMs) {
  const auto& output = allocator.Allocate(input, nowMs);
  for (size_t i = 0; i < input.tracks.size(); ++i) {
    input.tracks[i].currentTier = output.tracks[i].targetTier;
  }
  return output;
}

// One published 3-tier track: its caps, and the rates the publisher sends (the caps).
struct PublishedTrack {
  TierBitrateCaps caps{3};
  std::array<TierBitrateCaps::TierLimits, 3> limits{
      {{kMinBps[0], kMaxBps[0]}, {kMinBps[1], kMaxBps[1]}, {kMinBps[2], kMaxBps[2]}}};
  std::array<uint32_t, 3> sending = kMaxBps;

  void Publish() {
    const auto published = caps.Caps(limits);
    for (size_t t = 0; t < 3; ++t) sending[t] = published[t];
  }
  // The tier rates as subscriber `id` sees them.
  void FillRates(uint32_t id, Track& track) const {
    for (size_t t = 0; t < 3; ++t) {
      track.tiers[t] = {kMinBps[t], kMaxBps[t], sending[t],
                        caps.HighestVoteExcept(id, static_cast<int>(t))};
    }
  }
};

constexpr uint32_t kMe = 1;

// A round of the subscriber kMe, whose only track is input.tracks[0] of `published`: it sees the
// track's rates, decides, votes, and the publisher follows the caps.
Decision RoundWithCaps(BandwidthAllocator& allocator, Input& input, PublishedTrack& published,
                       int64_t nowMs) {
  published.FillRates(kMe, input.tracks[0]);
  const Decision decision = Round(allocator, input, nowMs).tracks[0];
  published.caps.Vote(kMe, decision.targetTier, decision.allocatedBps);
  published.Publish();
  return decision;
}

}  // namespace

TEST_CASE(
    "BandwidthAllocator: alone on the top tier, a 500 kbps subscriber keeps it and the cap "
    "follows its share",
    "[BandwidthAllocator]") {
  BandwidthAllocator allocator;
  PublishedTrack published;
  // 500 kbps estimate, 452 kbps for video: below the top tier's 1.5M maximum, above its minimum.
  Input input = InputOf(452'000, {ThreeTiers(kMe, Priority::kGridTile, 2, 2)});
  REQUIRE(input.estimateBps == 500'000);
  for (int64_t nowMs = 0; nowMs < 2000; nowMs += kRoundMs) {
    INFO("at " << nowMs << " ms");
    const Decision decision = RoundWithCaps(allocator, input, published, nowMs);
    CHECK(decision.targetTier == 2);
    CHECK(std::string(Name(decision.direction)) == "same");
    CHECK(decision.allocatedBps == 452'000);
    // The publisher is capped to what this subscriber can take, not the ladder's 1.5M.
    CHECK(published.sending[2] == 452'000);
  }
  const auto& output = allocator.Allocate(input, 2000);
  CHECK(output.totalAllocatedBps == 452'000);
  CHECK(output.desiredBps == kReservedBps + 1'650'000);
}

TEST_CASE(
    "BandwidthAllocator: with the cap held up by others, it steps down one tier per round "
    "to the tier that fits",
    "[BandwidthAllocator]") {
  struct Case {
    const char* name;
    bool otherOnMiddleTier;  // a second subscriber holds tier 1 at its 500k maximum
    std::vector<int> tiers;  // per round
    std::vector<Direction> directions;
    uint32_t finalAllocatedBps;
  };
  const std::vector<Case> cases = {
      // Tier 1 is free: its cap would follow this subscriber, so its minimum fits.
      {"top tier held",
       false,
       {1, 1, 1},
       {Direction::kDown, Direction::kSame, Direction::kSame},
       452'000},
      // Tier 1 would arrive at the full 500k (> 452k * 1.1): down to tier 0, one step a round.
      {"top and middle tier held",
       true,
       {1, 0, 0},
       {Direction::kDown, Direction::kDown, Direction::kSame},
       150'000},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    BandwidthAllocator allocator;
    PublishedTrack published;
    published.caps.Vote(98, 2, 1'500'000);
    if (c.otherOnMiddleTier) published.caps.Vote(99, 1, 500'000);
    published.Publish();
    Input input = InputOf(452'000, {ThreeTiers(kMe, Priority::kGridTile, 2, 2)});
    for (size_t round = 0; round < c.tiers.size(); ++round) {
      INFO("round " << round);
      const Decision decision =
          RoundWithCaps(allocator, input, published, static_cast<int64_t>(round) * kRoundMs);
      CHECK(decision.targetTier == c.tiers[round]);
      CHECK(std::string(Name(decision.direction)) == Name(c.directions[round]));
      if (round + 1 == c.tiers.size()) CHECK(decision.allocatedBps == c.finalAllocatedBps);
    }
    // The other subscriber keeps the top tier at full rate.
    CHECK(published.sending[2] == 1'500'000);
  }
}

TEST_CASE("BandwidthAllocator: recovery goes up one tier at a time, each after the hold time",
          "[BandwidthAllocator]") {
  BandwidthAllocator allocator;
  PublishedTrack published;
  published.caps.Vote(98, 2, 1'500'000);
  published.caps.Vote(99, 1, 500'000);
  published.Publish();
  Input input = InputOf(452'000, {ThreeTiers(kMe, Priority::kGridTile, 2, 2)});
  int64_t nowMs = 0;
  // Down to tier 0 (at 0 and 100 ms), then stays there.
  for (; nowMs < 2000; nowMs += kRoundMs) RoundWithCaps(allocator, input, published, nowMs);
  REQUIRE(input.tracks[0].currentTier == 0);

  // The estimate rises at 2000 ms (the back-off after the last down step has passed by then).
  SetAvailable(input, 3'000'000);
  std::vector<std::pair<int64_t, int>> ups;  // time, new tier
  int previous = 0;
  for (; nowMs <= 10'000; nowMs += kRoundMs) {
    const Decision decision = RoundWithCaps(allocator, input, published, nowMs);
    REQUIRE(decision.targetTier >= previous);
    REQUIRE(decision.targetTier <= previous + 1);  // one tier per round
    if (decision.targetTier > previous) {
      CHECK(std::string(Name(decision.direction)) == "up");
      ups.emplace_back(nowMs, decision.targetTier);
    }
    previous = decision.targetTier;
  }
  // Tier 1 after 2 s of room; tier 2 after 2 s more, counted from the round after the step.
  const std::vector<std::pair<int64_t, int>> expected = {{4000, 1}, {6100, 2}};
  CHECK(ups == expected);
}

TEST_CASE("BandwidthAllocator: the hold needs the room in every round", "[BandwidthAllocator]") {
  struct Case {
    const char* name;
    int64_t dipAtMs;  // one round without room for tier 1; -1: none
    int64_t upAtMs;
  };
  for (const Case& c : {Case{"uninterrupted", -1, 2100}, Case{"dip at 1500 ms", 1500, 3600}}) {
    INFO(c.name);
    BandwidthAllocator::Options options;
    options.backOffMs = 0;  // only the hold is under test
    BandwidthAllocator allocator(options);
    Input input = InputOf(100'000, {ThreeTiers(7, Priority::kGridTile, 1, 1)});
    // Congestion steps it down to tier 0: from here, up moves are recovery and wait the hold.
    REQUIRE(Round(allocator, input, 0).tracks[0].targetTier == 0);
    int64_t upAtMs = -1;
    for (int64_t nowMs = kRoundMs; nowMs <= 5000 && upAtMs < 0; nowMs += kRoundMs) {
      // 160k: tier 1's 150k minimum fits, but not with the 10% up margin.
      SetAvailable(input, nowMs == c.dipAtMs ? 160'000 : 1'000'000);
      if (Round(allocator, input, nowMs).tracks[0].targetTier == 1) upAtMs = nowMs;
    }
    CHECK(upAtMs == c.upAtMs);
  }
}

TEST_CASE("BandwidthAllocator serves screen share, then active speakers, then grid tiles",
          "[BandwidthAllocator]") {
  struct Case {
    const char* name;
    uint32_t available;
    std::vector<Track> tracks;  // lower priorities listed first: order must not matter
    std::vector<int> tiers;
    std::vector<uint32_t> allocatedBps;
  };
  const std::vector<Case> cases = {
      // Screen share needs 450k of 560k for its top tier; the tiles get tier 0 (45k each), and
      // the 20k left over goes to the screen share first.
      {"screen share keeps its tier",
       560'000,
       {ThreeTiers(1, Priority::kGridTile, 1, 1), ThreeTiers(2, Priority::kGridTile, 1, 1),
        ThreeTiers(3, Priority::kScreenShare, 2, 2)},
       {0, 0, 2},
       {45'000, 45'000, 470'000}},
      {"active speaker before grid tile",
       200'000,
       {ThreeTiers(1, Priority::kGridTile, 1, 1), ThreeTiers(2, Priority::kActiveSpeaker, 1, 1)},
       {0, 1},
       {45'000, 155'000}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    BandwidthAllocator allocator;
    Input input = InputOf(c.available, c.tracks);
    const auto& output = allocator.Allocate(input, 0);
    REQUIRE(output.tracks.size() == c.tracks.size());
    for (size_t i = 0; i < c.tracks.size(); ++i) {
      INFO("track " << c.tracks[i].id);
      CHECK(output.tracks[i].id == c.tracks[i].id);
      CHECK(output.tracks[i].targetTier == c.tiers[i]);
      CHECK(output.tracks[i].allocatedBps == c.allocatedBps[i]);
    }
  }
}

TEST_CASE(
    "BandwidthAllocator pauses the lowest priority when nothing fits, and resumes it by the "
    "up rules",
    "[BandwidthAllocator]") {
  // Two equal tiles: ties go by input order, so the tile listed last is paused, whatever its id.
  for (const std::array<uint32_t, 2> tileIds : {std::array<uint32_t, 2>{2, 3}, {3, 2}}) {
    INFO("tiles " << tileIds[0] << ", " << tileIds[1]);
    Input input = InputOf(100'000, {ThreeTiers(1, Priority::kScreenShare, 2, 0),
                                    ThreeTiers(tileIds[0], Priority::kGridTile, 1, 1),
                                    ThreeTiers(tileIds[1], Priority::kGridTile, 1, 1)});
    const size_t keptIndex = 1;
    const size_t pausedIndex = 2;
    BandwidthAllocator allocator;

    // 100k: screen share tier 0 (45k), the first tile tier 0 (45k), nothing for the other.
    // The paused one goes from tier 1 straight to nothing.
    {
      const auto& output = Round(allocator, input, 0);
      CHECK(output.tracks[0].targetTier == 0);
      CHECK(output.tracks[keptIndex].targetTier == 0);
      CHECK(output.tracks[pausedIndex].id == tileIds[1]);
      CHECK(output.tracks[pausedIndex].targetTier == kNoTier);
      CHECK(output.tracks[pausedIndex].allocatedBps == 0);
      CHECK(std::string(Name(output.tracks[pausedIndex].direction)) == "down");
      CHECK(output.totalAllocatedBps == 100'000);
    }

    // Room again from 100 ms: tier 0 after the hold (2100) and the back-off since the pause
    // (3000), tier 1 after another hold.
    SetAvailable(input, 2'000'000);
    std::vector<std::pair<int64_t, int>> changes;
    int previous = kNoTier;
    for (int64_t nowMs = kRoundMs; nowMs <= 8000; nowMs += kRoundMs) {
      const int tier = Round(allocator, input, nowMs).tracks[pausedIndex].targetTier;
      if (tier != previous) changes.emplace_back(nowMs, tier);
      previous = tier;
    }
    const std::vector<std::pair<int64_t, int>> expected = {{3000, 0}, {5100, 1}};
    CHECK(changes == expected);
  }
}

TEST_CASE(
    "BandwidthAllocator doubles the back-off on flaps, up to 30 s, and resets it after a "
    "stable minute",
    "[BandwidthAllocator]") {
  constexpr uint32_t kHigh = 2'000'000;
  constexpr uint32_t kLow = 100'000;  // tier 0 (45k) fits, tier 1 (150k) does not
  BandwidthAllocator allocator;
  Input input = InputOf(kHigh, {ThreeTiers(5, Priority::kGridTile, 1, 1)});
  int64_t nowMs = 0;
  int64_t lastRoundMs = 0;
  auto round = [&](uint32_t available) {
    SetAvailable(input, available);
    lastRoundMs = nowMs;
    const int tier = Round(allocator, input, nowMs).tracks[0].targetTier;
    nowMs += kRoundMs;
    return tier;
  };
  // Rounds with room until the track is on tier 1 again; returns when.
  auto runUntilUp = [&]() {
    while (nowMs < 1'000'000) {
      if (round(kHigh) == 1) return lastRoundMs;
    }
    FAIL("never went up");
    return int64_t{-1};
  };

  while (nowMs < 1000) REQUIRE(round(kHigh) == 1);
  REQUIRE(round(kLow) == 0);
  int64_t downAtMs = lastRoundMs;
  CHECK(allocator.BackOffMs(5) == 3000);  // a first down step is no flap

  int64_t backOffMs = 3000;
  for (const int64_t expected : {6000, 12000, 24000, 30000, 30000}) {
    INFO("back-off " << backOffMs << " -> " << expected);
    const int64_t upAtMs = runUntilUp();
    CHECK(upAtMs - downAtMs == backOffMs);
    // The link cannot carry tier 1 after all: a flap.
    REQUIRE(round(kLow) == 0);
    downAtMs = lastRoundMs;
    CHECK(allocator.BackOffMs(5) == expected);
    backOffMs = expected;
  }

  // Stable from here: up after the 30 s back-off, then a minute without down steps.
  const int64_t upAtMs = runUntilUp();
  CHECK(upAtMs - downAtMs == 30000);
  while (nowMs < downAtMs + 60'000) REQUIRE(round(kHigh) == 1);
  CHECK(allocator.BackOffMs(5) == 30000);
  REQUIRE(round(kHigh) == 1);
  CHECK(allocator.BackOffMs(5) == 3000);

  // A down step more than a minute after the last up step is no flap: the back-off stays 3 s.
  while (nowMs < upAtMs + 60'000) REQUIRE(round(kHigh) == 1);
  REQUIRE(round(kLow) == 0);
  downAtMs = lastRoundMs;
  CHECK(allocator.BackOffMs(5) == 3000);
  CHECK(runUntilUp() - downAtMs == 3000);
}

TEST_CASE(
    "BandwidthAllocator starts a new subscription at its fitted tier, follows the layout at "
    "once",
    "[BandwidthAllocator]") {
  BandwidthAllocator allocator;
  Input input = InputOf(2'000'000, {ThreeTiers(1, Priority::kGridTile, 2, kNoTier),
                                    ThreeTiers(2, Priority::kGridTile, kNoTier, kNoTier)});
  {
    const auto& output = Round(allocator, input, 0);
    // Nothing on screen to degrade: straight to the top tier.
    CHECK(output.tracks[0].targetTier == 2);
    CHECK(std::string(Name(output.tracks[0].direction)) == "up");
    // Not wanted: nothing, no share.
    CHECK(output.tracks[1].targetTier == kNoTier);
    CHECK(output.tracks[1].allocatedBps == 0);
    CHECK(output.desiredBps == kReservedBps + 1'650'000);
  }
  // The tile shrinks: tier 0 at once, and that is no down step (no back-off).
  input.tracks[0].wantedTier = 0;
  {
    const auto& output = Round(allocator, input, 1000);
    CHECK(output.tracks[0].targetTier == 0);
    CHECK(std::string(Name(output.tracks[0].direction)) == "down");
  }
  for (int64_t nowMs = 1100; nowMs < 4000; nowMs += kRoundMs) {
    REQUIRE(Round(allocator, input, nowMs).tracks[0].targetTier == 0);
  }
  // It grows again on a link with room for the top tier: no congestion to recover from, so
  // straight there.
  input.tracks[0].wantedTier = 2;
  {
    const auto& output = Round(allocator, input, 4000);
    CHECK(output.tracks[0].targetTier == 2);
    CHECK(std::string(Name(output.tracks[0].direction)) == "up");
  }
  // On a link with room for tier 1 only, growth waits growthProbeWaitMs on its tier for a probe
  // that might show room for the wanted tier; none comes, so it goes to tier 1, and no further.
  input.tracks[0].wantedTier = 0;
  REQUIRE(Round(allocator, input, 4100).tracks[0].targetTier == 0);
  SetAvailable(input, 400'000);
  input.tracks[0].wantedTier = 2;
  const int64_t waitMs = allocator.GetOptions().growthProbeWaitMs;
  for (int64_t nowMs = 4200; nowMs < 4200 + waitMs; nowMs += kRoundMs) {
    REQUIRE(Round(allocator, input, nowMs).tracks[0].targetTier == 0);
  }
  CHECK(Round(allocator, input, 4200 + waitMs).tracks[0].targetTier == 1);
  for (int64_t nowMs = 4300 + waitMs; nowMs < 8000; nowMs += kRoundMs) {
    REQUIRE(Round(allocator, input, nowMs).tracks[0].targetTier == 1);
  }
}

TEST_CASE(
    "BandwidthAllocator: a tile that grows beyond the estimate waits for the probe and takes "
    "one switch",
    "[BandwidthAllocator]") {
  BandwidthAllocator allocator;
  // A small tile on tier 0, on an estimate that has only followed what tier 0 sends: it fits
  // tier 1 but not tier 2.
  Input input = InputOf(400'000, {ThreeTiers(1, Priority::kGridTile, 0, kNoTier)});
  REQUIRE(Round(allocator, input, 0).tracks[0].targetTier == 0);
  for (int64_t nowMs = kRoundMs; nowMs < 5000; nowMs += kRoundMs) {
    REQUIRE(Round(allocator, input, nowMs).tracks[0].targetTier == 0);
  }
  // The tile grows to the top tier: the desired rate rises, and the subscription stays on
  // tier 0 while the estimator probes for it.
  input.tracks[0].wantedTier = 2;
  {
    const auto& output = Round(allocator, input, 5000);
    CHECK(output.tracks[0].targetTier == 0);
    CHECK(output.tracks[0].limitedByBandwidth);
    CHECK(output.desiredBps == kReservedBps + 1'650'000);
  }
  CHECK(Round(allocator, input, 5100).tracks[0].targetTier == 0);
  // The probe shows room for the top tier: straight there, one switch (no stop at tier 1).
  SetAvailable(input, 2'000'000);
  {
    const auto& output = Round(allocator, input, 5200);
    CHECK(output.tracks[0].targetTier == 2);
    CHECK(std::string(Name(output.tracks[0].direction)) == "up");
  }
  // A wanted tier that fits at once never waits.
  input.tracks[0].wantedTier = 0;
  REQUIRE(Round(allocator, input, 5300).tracks[0].targetTier == 0);
  input.tracks[0].wantedTier = 2;
  CHECK(Round(allocator, input, 5400).tracks[0].targetTier == 2);
  // Nor does a tile that shows nothing yet: no picture to keep.
  Input fresh = InputOf(400'000, {ThreeTiers(2, Priority::kGridTile, 2, kNoTier)});
  BandwidthAllocator other;
  CHECK(Round(other, fresh, 0).tracks[0].targetTier == 1);
}

TEST_CASE("BandwidthAllocator: a new subscription that fits nothing waits like a paused one",
          "[BandwidthAllocator]") {
  BandwidthAllocator allocator;
  Input input = InputOf(30'000, {ThreeTiers(1, Priority::kGridTile, 1, kNoTier)});
  CHECK(Round(allocator, input, 0).tracks[0].targetTier == kNoTier);
  SetAvailable(input, 2'000'000);
  for (int64_t nowMs = 100; nowMs < 2100; nowMs += kRoundMs) {
    REQUIRE(Round(allocator, input, nowMs).tracks[0].targetTier == kNoTier);
  }
  CHECK(Round(allocator, input, 2100).tracks[0].targetTier == 0);
}

TEST_CASE("BandwidthAllocator shares what is left: evenly in a class, higher classes first",
          "[BandwidthAllocator]") {
  struct Case {
    const char* name;
    uint32_t available;
    std::vector<Track> tracks;
    std::vector<uint32_t> allocatedBps;
  };
  Track narrow = ThreeTiers(1, Priority::kGridTile, 0, 0);
  narrow.tiers[0].maxBps = 60'000;  // can take only 15k on top of its 45k
  const std::vector<Case> cases = {
      {"even split",
       200'000,
       {ThreeTiers(1, Priority::kGridTile, 0, 0), ThreeTiers(2, Priority::kGridTile, 0, 0)},
       {100'000, 100'000}},
      {"what one cannot use goes to the other",
       200'000,
       {narrow, ThreeTiers(2, Priority::kGridTile, 0, 0)},
       {60'000, 140'000}},
      {"what the second cannot use goes back to the first",
       200'000,
       {ThreeTiers(2, Priority::kGridTile, 0, 0), narrow},
       {140'000, 60'000}},
      {"active speaker first",
       200'000,
       {ThreeTiers(1, Priority::kGridTile, 0, 0), ThreeTiers(2, Priority::kActiveSpeaker, 0, 0)},
       {50'000, 150'000}},
      {"never above the tier's maximum",
       1'000'000,
       {ThreeTiers(1, Priority::kGridTile, 0, 0), ThreeTiers(2, Priority::kGridTile, 0, 0)},
       {150'000, 150'000}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    BandwidthAllocator allocator;
    const auto& output = allocator.Allocate(InputOf(c.available, c.tracks), 0);
    uint64_t total = 0;
    for (size_t i = 0; i < c.tracks.size(); ++i) {
      INFO("track " << i);
      CHECK(output.tracks[i].targetTier == 0);
      CHECK(output.tracks[i].allocatedBps == c.allocatedBps[i]);
      total += c.allocatedBps[i];
    }
    CHECK(output.totalAllocatedBps == total);
  }
}

TEST_CASE("BandwidthAllocator reuses its output and forgets subscriptions that are gone",
          "[BandwidthAllocator]") {
  BandwidthAllocator allocator;
  Input input = InputOf(100'000, {ThreeTiers(1, Priority::kGridTile, 1, 1),
                                  ThreeTiers(2, Priority::kGridTile, 1, 1)});
  const auto* first = allocator.Allocate(input, 0).tracks.data();
  for (int64_t nowMs = kRoundMs; nowMs < 1000; nowMs += kRoundMs) {
    CHECK(allocator.Allocate(input, nowMs).tracks.data() == first);
  }
  // Flap subscription 2 so its back-off grows, then drop it.
  SetAvailable(input, 2'000'000);
  input.tracks[1].currentTier = 0;
  int64_t nowMs = 1000;
  while (Round(allocator, input, nowMs).tracks[1].targetTier != 1) nowMs += kRoundMs;
  SetAvailable(input, 100'000);
  Round(allocator, input, nowMs + kRoundMs);
  REQUIRE(allocator.BackOffMs(2) == 6000);
  input.tracks.pop_back();
  allocator.Allocate(input, nowMs + 2 * kRoundMs);
  CHECK(allocator.BackOffMs(2) == allocator.GetOptions().backOffMs);
}

}  // namespace myriad::congestion

namespace myriad::congestion {
namespace {

TEST_CASE("BandwidthAllocator: each decision reports its budget and whether bandwidth limits it",
          "[congestion][BandwidthAllocator]") {
  BandwidthAllocator allocator;
  // A screen share wanting its top tier and a grid tile wanting its middle one, 700 kbit/s of
  // video budget: the screen's turn comes first with all of it; it holds its own caps, so its
  // top tier needs only the minimum (450k) and the tile gets what is left (250k): enough for
  // the tile's middle tier at its minimum (150k) but not the screen's top tier with the margin.
  Input input = InputOf(700'000, {ThreeTiers(1, Priority::kGridTile, 1, 1),
                                  ThreeTiers(2, Priority::kScreenShare, 2, 2)});
  const auto& output = Round(allocator, input, 0);
  REQUIRE(output.tracks.size() == 2);
  CHECK(output.tracks[1].budgetBps == 700'000);
  CHECK_FALSE(output.tracks[1].limitedByBandwidth);
  CHECK(output.tracks[0].budgetBps == 250'000);
  CHECK_FALSE(output.tracks[0].limitedByBandwidth);

  // 400 kbit/s: the screen's top tier does not fit (450k); it is limited whatever step it
  // takes, and the tile's budget is what the screen's fitted tier left.
  SetAvailable(input, 400'000);
  const auto& squeezed = Round(allocator, input, kRoundMs);
  CHECK(squeezed.tracks[1].budgetBps == 400'000);
  CHECK(squeezed.tracks[1].limitedByBandwidth);
  CHECK(squeezed.tracks[1].targetTier == 1);
  CHECK(squeezed.tracks[0].budgetBps == 400'000 - kMinBps[1]);
  CHECK_FALSE(squeezed.tracks[0].limitedByBandwidth);

  // A tile that wants nothing is not limited by anything.
  input.tracks[0].wantedTier = kNoTier;
  SetAvailable(input, 10'000);
  const auto& idle = Round(allocator, input, 2 * kRoundMs);
  CHECK_FALSE(idle.tracks[0].limitedByBandwidth);
  CHECK(idle.tracks[1].limitedByBandwidth);
}

}  // namespace
}  // namespace myriad::congestion

namespace myriad::congestion {
namespace {

TEST_CASE("BandwidthAllocator: a wanted tier re-planned cheaper ends a pause or limit at once",
          "[congestion][BandwidthAllocator]") {
  BandwidthAllocator allocator;
  // One tier, 720p-like (min 600k, max 2.4M), nobody else on it; 400k of budget: paused.
  Track track;
  track.id = 7;
  track.wantedTier = 0;
  track.currentTier = 0;
  track.tierCount = 1;
  track.tiers[0] = {600'000, 2'400'000, 2'400'000, 0};
  Input input = InputOf(400'000, {track});
  CHECK(Round(allocator, input, 0).tracks[0].targetTier == kNoTier);
  // The same tier at the same rates stays paused: resuming waits for room, hold and back-off.
  CHECK(Round(allocator, input, kRoundMs).tracks[0].targetTier == kNoTier);
  // The publisher re-plans it to a level the link affords (max 900k, min 225k): it resumes in
  // the next round, without the hold and the back-off of a recovery.
  input.tracks[0].tiers[0] = {225'000, 900'000, 0, 0};
  const auto& resumed = Round(allocator, input, 2 * kRoundMs);
  CHECK(resumed.tracks[0].targetTier == 0);
  CHECK(resumed.tracks[0].direction == Direction::kUp);

  // Three tiers, stepped down from the top for bandwidth: limited, so the way back up is one
  // tier per hold. A re-plan that makes the top tier cheaper lets it go straight there.
  BandwidthAllocator limitedAllocator;
  Input three = InputOf(2'000'000, {ThreeTiers(1, Priority::kGridTile, 2, 2)});
  Round(limitedAllocator, three, 0);
  SetAvailable(three, 200'000);
  CHECK(Round(limitedAllocator, three, kRoundMs).tracks[0].targetTier == 1);
  SetAvailable(three, 900'000);
  // The top tier fits again, but recovery waits for the hold.
  CHECK(Round(limitedAllocator, three, 2 * kRoundMs).tracks[0].targetTier == 1);
  three.tracks[0].tiers[2] = {150'000, 600'000, 0, 0};
  CHECK(Round(limitedAllocator, three, 3 * kRoundMs).tracks[0].targetTier == 2);
}

TEST_CASE("BandwidthAllocator: a paused track resumes on a plan that sends only its top tier",
          "[congestion][BandwidthAllocator]") {
  // The bandwidth-step benchmark's lone 720p viewer: the publisher's plan sends only f (q and h
  // paused, maxBps 0). A loss burst paused the track; the up rules must resume it on f, the
  // lowest tier sent, not wait for q, which is never sent.
  BandwidthAllocator allocator;
  Track track = ThreeTiers(kMe, Priority::kGridTile, 2, 2);
  track.tiers[0] = {};
  track.tiers[1] = {};
  Input input = InputOf(2'000'000, {track});
  CHECK(Round(allocator, input, 0).tracks[0].targetTier == 2);
  SetAvailable(input, 100'000);  // below f's 450k minimum: paused
  const auto& paused = Round(allocator, input, kRoundMs);
  CHECK(paused.tracks[0].targetTier == kNoTier);
  CHECK(paused.tracks[0].limitedByBandwidth);
  SetAvailable(input, 1'000'000);
  int64_t resumedAtMs = -1;
  for (int64_t ms = 2 * kRoundMs; ms <= 20'000 && resumedAtMs < 0; ms += kRoundMs) {
    const auto& output = Round(allocator, input, ms);
    CHECK(output.tracks[0].targetTier != 0);  // never a tier that is not sent
    CHECK(output.tracks[0].targetTier != 1);
    if (output.tracks[0].targetTier == 2) resumedAtMs = ms;
  }
  REQUIRE(resumedAtMs > 0);
  // By the up rules: after the hold and the back-off, not at once.
  const auto& options = allocator.GetOptions();
  CHECK(resumedAtMs >= kRoundMs + std::max(options.holdMs, options.backOffMs));
  CHECK(resumedAtMs <= kRoundMs + std::max(options.holdMs, options.backOffMs) + 2 * kRoundMs);
}

TEST_CASE("BandwidthAllocator: a step down passes over a tier that is not sent",
          "[congestion][BandwidthAllocator]") {
  // q and f sent, h paused by the plan: from f, one step down lands on q.
  BandwidthAllocator allocator;
  Track track = ThreeTiers(kMe, Priority::kGridTile, 2, 2);
  track.tiers[1] = {};
  Input input = InputOf(2'000'000, {track});
  CHECK(Round(allocator, input, 0).tracks[0].targetTier == 2);
  SetAvailable(input, 200'000);  // fits q (45k), not f (450k)
  const auto& down = Round(allocator, input, kRoundMs);
  CHECK(down.tracks[0].targetTier == 0);
  CHECK(down.tracks[0].direction == Direction::kDown);
  // Nothing fits a tier that is not sent, whatever its (zero) rates.
  SetAvailable(input, 20'000);
  CHECK(Round(allocator, input, 2 * kRoundMs).tracks[0].targetTier == kNoTier);
}

}  // namespace
}  // namespace myriad::congestion
