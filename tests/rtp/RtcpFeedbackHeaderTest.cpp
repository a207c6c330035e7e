#include <array>
#include <catch2/catch.hpp>

#include "rtp/RtcpFeedbackHeader.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;
using myriad::rtp::test::ToVector;

TEST_CASE("RtcpFeedbackHeader reads and writes the RFC 4585 6.1 common part",
          "[RtcpFeedbackHeader]") {
  auto bytes = Hex("8f cd 00 03 00 00 00 01 00 00 00 02 aa bb cc dd");
  auto feedback = RtcpFeedbackHeader::Parse(bytes, 205, 15);
  REQUIRE(feedback);
  CHECK(feedback->SenderSsrc() == 1);
  CHECK(feedback->MediaSsrc() == 2);
  CHECK(ToVector(feedback->Fci()) == Hex("aa bb cc dd"));
  feedback->SetSenderSsrc(3);
  feedback->SetMediaSsrc(4);
  CHECK(ToVector(bytes) == Hex("8f cd 00 03 00 00 00 03 00 00 00 04 aa bb cc dd"));

  CHECK_FALSE(RtcpFeedbackHeader::Parse(bytes, 205, 1));
  CHECK_FALSE(RtcpFeedbackHeader::Parse(bytes, 206, 15));
  auto noMediaSsrc = Hex("8f cd 00 01 00 00 00 01");
  CHECK_FALSE(RtcpFeedbackHeader::Parse(noMediaSsrc, 205, 15));

  std::array<uint8_t, 12> out{};
  REQUIRE(RtcpFeedbackHeader::Write(out, 206, 1, 12, 5, 6) == 12);
  CHECK(ToVector(out) == Hex("81 ce 00 02 00 00 00 05 00 00 00 06"));
  CHECK(RtcpFeedbackHeader::Write(std::span<uint8_t>(out).first(11), 206, 1, 12, 5, 6) == 0);
}
