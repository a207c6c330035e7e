#include <catch2/catch.hpp>
#include <vector>

#include "rtp/TransportCcFeedback.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;

namespace {
// Hand-assembled feedback using the chunk examples of the draft:
//   chunk 9f 1c: status vector, 1-bit (3.1.4 example): 0 1 1 1 1 1 0 0 0 1 1 1 0 0
//   chunk 00 dd: run length (3.1.3 example): "not received" x 221
//   chunk e4 80: status vector, 2-bit: large, small, none, large (+3 unused slots)
// base seq 65530 (wraps), 239 statuses, reference time 16 (1.024 s), fb pkt count 7.
// Deltas: 04 00 ff 01 02 03 04 05 | ff fc (-4) | 10 | 04 00 (1024), one byte zero padding.
const char* kFeedback =
    "8f cd 00 09  00 00 00 01  00 00 00 02  ff fa 00 ef  00 00 10 07"
    "9f 1c 00 dd e4 80"
    "04 00 ff 01 02 03 04 05 ff fc 10 04 00  00";

struct Expected {
  int index;
  int32_t delta;
};

std::vector<TransportCcFeedback::PacketStatus> Collect(const TransportCcFeedback& feedback) {
  return {feedback.begin(), feedback.end()};
}
}  // namespace

TEST_CASE("TransportCcFeedback decodes every packet status", "[TransportCcFeedback]") {
  auto bytes = Hex(kFeedback);
  auto feedback = TransportCcFeedback::Parse(bytes);
  REQUIRE(feedback);
  CHECK(feedback->SenderSsrc() == 1);
  CHECK(feedback->MediaSsrc() == 2);
  CHECK(feedback->BaseSequenceNumber() == 65530);
  CHECK(feedback->PacketStatusCount() == 239);
  CHECK(feedback->ReferenceTime() == 16);
  CHECK(feedback->ReferenceTimeUs() == 1'024'000);
  CHECK(feedback->FeedbackPacketCount() == 7);
  CHECK(feedback->ReceivedCount() == 11);

  const auto statuses = Collect(*feedback);
  REQUIRE(statuses.size() == 239);
  const std::vector<Expected> received = {{1, 4},    {2, 0},    {3, 255},   {4, 1},
                                          {5, 2},    {9, 3},    {10, 4},    {11, 5},
                                          {235, -4}, {236, 16}, {238, 1024}};
  size_t next = 0;
  int64_t ticks = 0;
  for (size_t i = 0; i < statuses.size(); ++i) {
    INFO("status " << i);
    CHECK(statuses[i].sequenceNumber == static_cast<uint16_t>(65530 + i));
    if (next < received.size() && received[next].index == static_cast<int>(i)) {
      REQUIRE(statuses[i].received);
      CHECK(statuses[i].deltaTicks == received[next].delta);
      ticks += received[next].delta;
      CHECK(statuses[i].arrivalTimeUs == 1'024'000 + ticks * 250);
      ++next;
    } else {
      CHECK_FALSE(statuses[i].received);
      CHECK(statuses[i].deltaTicks == 0);
    }
  }
  CHECK(next == received.size());
  CHECK(statuses[6].sequenceNumber == 0);  // wrapped
}

TEST_CASE("TransportCcFeedback handles a negative reference time", "[TransportCcFeedback]") {
  auto bytes =
      Hex("8f cd 00 05 00 00 00 01 00 00 00 02 00 00 00 01 ff ff ff 00"
          "20 01 05 00");
  auto feedback = TransportCcFeedback::Parse(bytes);
  REQUIRE(feedback);
  CHECK(feedback->ReferenceTime() == -1);
  const auto statuses = Collect(*feedback);
  REQUIRE(statuses.size() == 1);
  CHECK(statuses[0].arrivalTimeUs == -64'000 + 5 * 250);
}

TEST_CASE("TransportCcFeedback skips zero-length runs", "[TransportCcFeedback]") {
  // Run of 0 "received" then run of 2 "received small": two deltas.
  auto bytes =
      Hex("8f cd 00 06 00 00 00 01 00 00 00 02 00 10 00 02 00 00 00 00"
          "20 00 20 02 01 02 00 00");
  auto feedback = TransportCcFeedback::Parse(bytes);
  REQUIRE(feedback);
  const auto statuses = Collect(*feedback);
  REQUIRE(statuses.size() == 2);
  CHECK(statuses[0].deltaTicks == 1);
  CHECK(statuses[1].deltaTicks == 2);
  CHECK(statuses[1].sequenceNumber == 17);
}

TEST_CASE("TransportCcFeedback SSRC setters", "[TransportCcFeedback]") {
  auto bytes = Hex(kFeedback);
  auto feedback = TransportCcFeedback::Parse(bytes);
  REQUIRE(feedback);
  feedback->SetSenderSsrc(0x10);
  feedback->SetMediaSsrc(0x20);
  auto again = TransportCcFeedback::Parse(bytes);
  CHECK(again->SenderSsrc() == 0x10);
  CHECK(again->MediaSsrc() == 0x20);
  CHECK(again->PacketStatusCount() == 239);
}

TEST_CASE("TransportCcFeedback rejects malformed packets", "[TransportCcFeedback]") {
  const auto bytes = Hex(kFeedback);
  myriad::rtp::test::RequireEveryTruncationRejected<TransportCcFeedback>(bytes);
  myriad::rtp::test::RequireBadVersionAndLengthRejected<TransportCcFeedback>(bytes);
  SECTION("wrong FMT or PT") {
    auto nack = bytes;
    nack[0] = 0x81;
    CHECK_FALSE(TransportCcFeedback::Parse(nack));
    auto psfb = bytes;
    psfb[1] = 206;
    CHECK_FALSE(TransportCcFeedback::Parse(psfb));
  }
  SECTION("status count needs more chunks than present") {
    auto more = bytes;
    more[15] = 243;  // 14 + 221 + 7 + 1: one more chunk, which eats into the deltas
    CHECK_FALSE(TransportCcFeedback::Parse(more));
  }
  SECTION("status count zero") {
    auto zero = bytes;
    zero[15] = 0;
    CHECK_FALSE(TransportCcFeedback::Parse(zero));
  }
  SECTION("reserved symbol") {
    auto reserved = bytes;
    reserved[24] = 0xF4;  // first 2-bit symbol becomes 11
    CHECK_FALSE(TransportCcFeedback::Parse(reserved));
    auto reservedRun =
        Hex("8f cd 00 05 00 00 00 01 00 00 00 02 00 00 00 01 00 00 00 00"
            "60 01 00 00");
    CHECK_FALSE(TransportCcFeedback::Parse(reservedRun));
  }
  SECTION("deltas missing") {
    // Two small-delta packets but only one delta byte (plus padding that is not a delta).
    auto missing =
        Hex("8f cd 00 05 00 00 00 01 00 00 00 02 00 00 00 02 00 00 00 00"
            "20 02 05 00");
    CHECK(TransportCcFeedback::Parse(missing));  // second delta is the 00 byte: valid
    auto reallyMissing =
        Hex("8f cd 00 05 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 00"
            "20 03 05 00");
    CHECK_FALSE(TransportCcFeedback::Parse(reallyMissing));
  }
  SECTION("FCI shorter than the fixed part") {
    auto shortFci = Hex("8f cd 00 03 00 00 00 01 00 00 00 02 00 00 00 01");
    CHECK_FALSE(TransportCcFeedback::Parse(shortFci));
  }
}
