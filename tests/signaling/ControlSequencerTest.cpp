#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "signaling/ControlSequencer.h"

using myriad::signaling::ControlSequencer;

TEST_CASE("ControlSequencer hands each message over once, in order", "[signaling]") {
  struct Step {
    uint64_t seq;
    std::vector<std::string> ready;
    bool duplicate;
  };
  // Two copies of each message; 2 overtakes 1; a late copy of 1 and 2 is dropped.
  const std::vector<Step> steps = {
      {2, {}, false},     {1, {"m1", "m2"}, false}, {1, {}, true}, {2, {}, true},
      {3, {"m3"}, false}, {5, {}, false},           {5, {}, true}, {4, {"m4", "m5"}, false},
      {4, {}, true},      {6, {"m6"}, false},
  };
  ControlSequencer sequencer;
  for (const Step& step : steps) {
    INFO("seq " << step.seq);
    const auto result = sequencer.Receive(step.seq, "m" + std::to_string(step.seq));
    CHECK(result.ready == step.ready);
    CHECK(result.duplicate == step.duplicate);
    CHECK_FALSE(result.overflow);
  }
  CHECK(sequencer.NextExpected() == 7);
  CHECK(sequencer.HeldBack() == 0);
  CHECK(sequencer.Duplicates() == 4);
  CHECK(sequencer.NextToSend() == 1);
  CHECK(sequencer.NextToSend() == 2);
}

TEST_CASE("ControlSequencer: shuffled duplicated traffic comes out complete and ordered",
          "[signaling]") {
  std::mt19937 random(7);
  std::vector<uint64_t> arrivals;
  for (uint64_t seq = 1; seq <= 300; ++seq) {
    arrivals.push_back(seq);
    arrivals.push_back(seq);
  }
  // Each copy moves at most 20 places: reordering a network could cause.
  for (size_t i = 0; i + 1 < arrivals.size(); ++i) {
    const size_t j = std::min(arrivals.size() - 1, i + random() % 20);
    std::swap(arrivals[i], arrivals[j]);
  }
  ControlSequencer sequencer;
  std::vector<std::string> out;
  for (const uint64_t seq : arrivals) {
    auto result = sequencer.Receive(seq, std::to_string(seq));
    REQUIRE_FALSE(result.overflow);
    out.insert(out.end(), result.ready.begin(), result.ready.end());
  }
  REQUIRE(out.size() == 300);
  for (size_t i = 0; i < out.size(); ++i) CHECK(out[i] == std::to_string(i + 1));
  CHECK(sequencer.Duplicates() == 300);
}

TEST_CASE("ControlSequencer reports a peer that skips numbers", "[signaling]") {
  ControlSequencer sequencer;
  for (uint64_t seq = 2; seq < 2 + ControlSequencer::kMaxHeldBack; ++seq) {
    REQUIRE_FALSE(sequencer.Receive(seq, "x").overflow);
  }
  CHECK(sequencer.Receive(10'000, "x").overflow);
  CHECK(sequencer.Receive(1, "first").ready.size() == ControlSequencer::kMaxHeldBack + 1);
}

namespace myriad::signaling {

TEST_CASE("ControlSequencer hands an unordered message over on arrival, once, and passes it later",
          "[signaling]") {
  ControlSequencer sequencer;
  CHECK(sequencer.Receive(1, "roster 1").ready == std::vector<std::string>{"roster 1"});
  // 2 (a broadcast) is lost for now; 3, a reply, must not wait for it.
  auto reply = sequencer.Receive(3, "ack 3", /*unordered=*/true);
  CHECK(reply.ready == std::vector<std::string>{"ack 3"});
  CHECK(reply.readySeqs == std::vector<uint64_t>{3});
  CHECK_FALSE(reply.duplicate);
  // Its copy is a duplicate; an ordered message after it waits for 2 as before.
  CHECK(sequencer.Receive(3, "ack 3", true).duplicate);
  CHECK(sequencer.Receive(4, "roster 4").ready.empty());
  CHECK(sequencer.HeldBack() == 2);
  // 2 arrives: 2 and 4 follow in order, 3 is not handed over again.
  const auto filled = sequencer.Receive(2, "roster 2");
  CHECK(filled.ready == std::vector<std::string>{"roster 2", "roster 4"});
  // Each with its own seq, so a caller can find what it kept for a held message.
  CHECK(filled.readySeqs == std::vector<uint64_t>{2, 4});
  CHECK(sequencer.NextExpected() == 5);
  CHECK(sequencer.HeldBack() == 0);
  // In sequence, unordered changes nothing.
  CHECK(sequencer.Receive(5, "ack 5", true).ready == std::vector<std::string>{"ack 5"});
  CHECK(sequencer.Receive(5, "ack 5", true).duplicate);
  CHECK(sequencer.Duplicates() == 2);
}

}  // namespace myriad::signaling
