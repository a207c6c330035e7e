#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <vector>

#include "rtp/TransportCcFeedback.h"
#include "rtp/TransportCcFeedbackBuilder.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;
using Result = TransportCcFeedbackBuilder::AddResult;

namespace {

std::vector<uint8_t> SerializeOrFail(const TransportCcFeedbackBuilder& builder) {
  std::vector<uint8_t> out(builder.SerializedSize());
  REQUIRE(!out.empty());
  REQUIRE(builder.Serialize(out) == out.size());
  return out;
}

// seq -> arrival (us, truncated to 250 us ticks) of the received packets in one feedback.
std::map<uint16_t, int64_t> ReceivedOf(std::vector<uint8_t>& bytes, size_t* statusCount = nullptr) {
  auto feedback = TransportCcFeedback::Parse(bytes);
  REQUIRE(feedback);
  if (statusCount) *statusCount = feedback->PacketStatusCount();
  std::map<uint16_t, int64_t> received;
  for (const auto& status : *feedback) {
    if (status.received) received[status.sequenceNumber] = status.arrivalTimeUs;
  }
  return received;
}

int64_t Truncate(int64_t us) { return us / 250 * 250; }

}  // namespace

TEST_CASE("TransportCcFeedbackBuilder writes a known packet", "[TransportCcFeedbackBuilder]") {
  TransportCcFeedbackBuilder builder(1, 2);
  CHECK(builder.Empty());
  CHECK(builder.SerializedSize() == 0);
  REQUIRE(builder.AddReceivedPacket(10, 1'000'000) == Result::kAdded);
  REQUIRE(builder.AddReceivedPacket(11, 1'000'250) == Result::kAdded);
  REQUIRE(builder.AddReceivedPacket(12, 1'001'000) == Result::kAdded);
  // Reference time floor(4000 ticks / 256) = 15; deltas 160, 1, 3 ticks; one run-length chunk.
  CHECK(SerializeOrFail(builder) == Hex("8f cd 00 06 00 00 00 01 00 00 00 02 00 0a 00 03"
                                        "00 00 0f 00 20 03 a0 01 03 00 00 00"));
}

TEST_CASE("TransportCcFeedbackBuilder encodes large and negative deltas",
          "[TransportCcFeedbackBuilder]") {
  TransportCcFeedbackBuilder builder(1, 2);
  REQUIRE(builder.AddReceivedPacket(0, 0) == Result::kAdded);
  REQUIRE(builder.AddReceivedPacket(1, 100'000) == Result::kAdded);  // 400 ticks: large
  REQUIRE(builder.AddReceivedPacket(2, 99'000) == Result::kAdded);   // -4 ticks: large
  REQUIRE(builder.AddReceivedPacket(3, 99'250) == Result::kAdded);   // small
  // Symbols 1 2 2 1: one two-bit vector chunk da 40 (11 01 10 10 01 00 00 00), then deltas
  // 00 | 01 90 | ff fc | 01.
  CHECK(SerializeOrFail(builder) == Hex("8f cd 00 06 00 00 00 01 00 00 00 02 00 00 00 04"
                                        "00 00 00 00 da 40 00 01 90 ff fc 01"));
}

TEST_CASE("TransportCcFeedbackBuilder round-trips random arrivals",
          "[TransportCcFeedbackBuilder]") {
  std::mt19937 rng(2024);
  for (int round = 0; round < 50; ++round) {
    std::bernoulli_distribution lose(0.2), jump(0.05), late(0.1);
    std::uniform_int_distribution<int> gap(0, 20'000);
    const uint16_t start = static_cast<uint16_t>(rng());
    int64_t now = 5'000'000'000 + static_cast<int64_t>(rng() % 1'000'000);
    std::vector<std::pair<uint16_t, int64_t>> packets;
    for (int i = 0; i < 200; ++i) {
      now += jump(rng) ? 2'000'000 : gap(rng);
      if (late(rng)) now -= 3'000;  // out-of-order arrival clock, negative delta
      if (!lose(rng)) packets.emplace_back(static_cast<uint16_t>(start + i), now);
    }
    // Feed slightly out of order.
    for (size_t i = 0; i + 1 < packets.size(); i += 3) std::swap(packets[i], packets[i + 1]);

    // A small size limit forces several feedback packets per round.
    constexpr size_t kMaxSize = 200;
    TransportCcFeedbackBuilder builder(7, 8, kMaxSize);
    std::map<uint16_t, int64_t> expected, reported;
    std::vector<std::vector<uint8_t>> feedbacks;
    auto flush = [&] {
      feedbacks.push_back(SerializeOrFail(builder));
      for (auto& [seq, at] : ReceivedOf(feedbacks.back())) {
        CHECK(reported.emplace(seq, at).second);  // every packet reported once
      }
      builder.StartNextFeedback();
    };
    for (auto [seq, at] : packets) {
      Result result = builder.AddReceivedPacket(seq, at);
      if (result == Result::kFeedbackFull) {
        flush();
        result = builder.AddReceivedPacket(seq, at);
      }
      if (result == Result::kAdded) expected[seq] = Truncate(at);
      CHECK(result != Result::kFeedbackFull);
    }
    if (!builder.Empty()) flush();
    INFO("round " << round);
    CHECK(reported == expected);
    CHECK(expected.size() + 10 >= packets.size());  // only a few late ones may be refused
    CHECK(feedbacks.size() > 1);
    for (size_t i = 0; i < feedbacks.size(); ++i) {
      CHECK(feedbacks[i].size() <= kMaxSize);
      CHECK(TransportCcFeedback::Parse(feedbacks[i])->FeedbackPacketCount() == i);
    }
  }
}

TEST_CASE("TransportCcFeedbackBuilder starts a new packet when a delta does not fit",
          "[TransportCcFeedbackBuilder]") {
  TransportCcFeedbackBuilder builder(1, 2);
  REQUIRE(builder.AddReceivedPacket(100, 1'000'000) == Result::kAdded);
  // 8.192 s is one tick beyond the 16-bit signed delta range.
  CHECK(builder.AddReceivedPacket(103, 1'000'000 + 8'192'000) == Result::kFeedbackFull);
  CHECK(builder.AddReceivedPacket(103, 1'000'000 + 8'191'750) == Result::kAdded);
  CHECK(builder.AddReceivedPacket(104, 1'000'000 - 10'000'000) == Result::kFeedbackFull);
  auto first = SerializeOrFail(builder);
  size_t count = 0;
  CHECK(ReceivedOf(first, &count).size() == 2);
  CHECK(count == 4);
  builder.StartNextFeedback();
  CHECK(builder.FeedbackPacketCount() == 1);
  REQUIRE(builder.AddReceivedPacket(106, 1'000'000 - 10'000'000) == Result::kAdded);
  // The next feedback starts right after the previous one: 104 and 105 are reported lost.
  CHECK(builder.BaseSequenceNumber() == 104);
  auto second = SerializeOrFail(builder);
  auto received = ReceivedOf(second, &count);
  CHECK(count == 3);
  CHECK(received == std::map<uint16_t, int64_t>{{106, -9'000'000}});
  auto parsed = TransportCcFeedback::Parse(second);
  CHECK(parsed->FeedbackPacketCount() == 1);
  CHECK(parsed->ReferenceTime() < 0);
}

TEST_CASE("TransportCcFeedbackBuilder refuses packets already covered",
          "[TransportCcFeedbackBuilder]") {
  TransportCcFeedbackBuilder builder(1, 2);
  REQUIRE(builder.AddReceivedPacket(50, 0) == Result::kAdded);
  REQUIRE(builder.AddReceivedPacket(52, 500) == Result::kAdded);
  CHECK(builder.AddReceivedPacket(52, 900) == Result::kAdded);  // duplicate, ignored
  builder.StartNextFeedback();
  CHECK(builder.AddReceivedPacket(51, 1000) == Result::kTooOld);
  CHECK(builder.AddReceivedPacket(52, 1000) == Result::kTooOld);
  CHECK(builder.Empty());
  CHECK(builder.AddReceivedPacket(53, 1000) == Result::kAdded);
  CHECK(builder.BaseSequenceNumber() == 53);
}

TEST_CASE("TransportCcFeedbackBuilder moves the base back for early reordering",
          "[TransportCcFeedbackBuilder]") {
  TransportCcFeedbackBuilder builder(1, 2);
  REQUIRE(builder.AddReceivedPacket(1000, 10'000) == Result::kAdded);
  REQUIRE(builder.AddReceivedPacket(1002, 12'000) == Result::kAdded);
  REQUIRE(builder.AddReceivedPacket(998, 11'000) == Result::kAdded);
  CHECK(builder.BaseSequenceNumber() == 998);
  CHECK(builder.PacketStatusCount() == 5);
  auto bytes = SerializeOrFail(builder);
  CHECK(ReceivedOf(bytes) ==
        std::map<uint16_t, int64_t>{{998, 11'000}, {1000, 10'000}, {1002, 12'000}});
  // Beyond the window it is a new feedback's job.
  CHECK(builder.AddReceivedPacket(1002 + TransportCcFeedbackBuilder::kMaxStatusCount, 13'000) ==
        Result::kFeedbackFull);
}

TEST_CASE("TransportCcFeedbackBuilder honours the size limit and uses runs for losses",
          "[TransportCcFeedbackBuilder]") {
  TransportCcFeedbackBuilder small(1, 2, 64);
  size_t added = 0;
  for (uint16_t seq = 0; seq < 100; ++seq) {
    if (small.AddReceivedPacket(seq, seq * 1000) != Result::kAdded) break;
    ++added;
  }
  CHECK(added >= 10);
  CHECK(added < 100);
  CHECK(small.SerializedSize() <= 64);

  TransportCcFeedbackBuilder sparse(1, 2);
  REQUIRE(sparse.AddReceivedPacket(0, 0) == Result::kAdded);
  REQUIRE(sparse.AddReceivedPacket(1000, 1000) == Result::kAdded);
  auto bytes = SerializeOrFail(sparse);
  size_t count = 0;
  CHECK(ReceivedOf(bytes, &count).size() == 2);
  CHECK(count == 1001);
  // 1-bit vector (received + 13 lost), a run of 985 lost, 1-bit vector (lost, received).
  CHECK(bytes.size() == 12 + 8 + 6 + 2 + 0);
}
