#include <array>
#include <catch2/catch.hpp>

#include "rtp/RtcpHeader.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;
using myriad::rtp::test::ToVector;

TEST_CASE("RtcpHeader reads the common fields", "[RtcpHeader]") {
  auto bytes = Hex("81 c9 00 01 11 22 33 44  ff ff");  // trailing bytes belong to the next packet
  auto header = RtcpHeader::Parse(bytes);
  REQUIRE(header);
  CHECK(header->Version() == 2);
  CHECK_FALSE(header->HasPadding());
  CHECK(header->CountOrFormat() == 1);
  CHECK(header->PacketType() == RtcpHeader::kReceiverReport);
  CHECK(header->LengthField() == 1);
  CHECK(header->PacketSize() == 8);
  CHECK(header->Packet().size() == 8);
  CHECK(ToVector(header->Body()) == Hex("11 22 33 44"));
}

TEST_CASE("RtcpHeader strips padding from the body", "[RtcpHeader]") {
  auto bytes = Hex("a0 cb 00 02 aa bb 00 00 00 00 00 04");
  auto header = RtcpHeader::Parse(bytes);
  REQUIRE(header);
  CHECK(header->HasPadding());
  CHECK(header->PaddingSize() == 4);
  CHECK(ToVector(header->Body()) == Hex("aa bb 00 00"));

  auto zeroPadding = Hex("a0 cb 00 01 aa bb cc 00");
  CHECK_FALSE(RtcpHeader::Parse(zeroPadding));
  auto paddingIntoHeader = Hex("a0 cb 00 01 aa bb cc 05");
  CHECK_FALSE(RtcpHeader::Parse(paddingIntoHeader));
  auto allPadding = Hex("a0 cb 00 01 00 00 00 04");
  header = RtcpHeader::Parse(allPadding);
  REQUIRE(header);
  CHECK(header->Body().empty());
}

TEST_CASE("RtcpHeader rejects bad version, truncation and long lengths", "[RtcpHeader]") {
  const auto packet = Hex("81 c9 00 01 11 22 33 44");
  myriad::rtp::test::RequireEveryTruncationRejected<RtcpHeader>(packet);
  myriad::rtp::test::RequireBadVersionAndLengthRejected<RtcpHeader>(packet);
}

TEST_CASE("RtcpHeader::ParseTyped checks type and count", "[RtcpHeader]") {
  auto bytes = Hex("8f cd 00 02 00 00 00 01 00 00 00 02");
  CHECK(RtcpHeader::ParseTyped(bytes, 205, 15));
  CHECK(RtcpHeader::ParseTyped(bytes, 205, std::nullopt));
  CHECK_FALSE(RtcpHeader::ParseTyped(bytes, 206, 15));
  CHECK_FALSE(RtcpHeader::ParseTyped(bytes, 205, 1));
}

TEST_CASE("RtcpHeader::Write", "[RtcpHeader]") {
  std::array<uint8_t, 4> out{};
  REQUIRE(RtcpHeader::Write(out, 31, 206, 16) == 4);
  CHECK(ToVector(out) == Hex("9f ce 00 03"));
  CHECK(RtcpHeader::Write(out, 32, 206, 16) == 0);  // count is 5 bits
  CHECK(RtcpHeader::Write(out, 1, 206, 15) == 0);   // not whole words
  CHECK(RtcpHeader::Write(out, 1, 206, 0) == 0);
  CHECK(RtcpHeader::Write(out, 1, 206, 4 * 65537) == 0);  // length field overflow
  CHECK(RtcpHeader::Write(std::span<uint8_t>(out).first(3), 1, 206, 16) == 0);
}
