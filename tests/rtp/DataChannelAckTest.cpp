#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "rtp/DataChannelAck.h"
#include "rtp/DataChannelOpen.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;
using myriad::rtp::test::ToVector;

TEST_CASE("DataChannelAck parses and serializes the one-byte message", "[DataChannelAck]") {
  // RFC 8832 5.2: the message type 0x02 and nothing else.
  const auto bytes = Hex("02");
  const auto ack = DataChannelAck::Parse(bytes);
  REQUIRE(ack);
  CHECK(ToVector(ack->Message()) == bytes);

  std::array<uint8_t, 4> out{};
  out.fill(0xEE);
  REQUIRE(DataChannelAck::Serialize(out) == DataChannelAck::kSize);
  CHECK(out[0] == 0x02);
  CHECK(out[1] == 0xEE);  // nothing written past the message
  CHECK(DataChannelAck::Parse(std::span<const uint8_t>(out.data(), DataChannelAck::kSize)));

  std::array<uint8_t, 0> none{};
  CHECK(DataChannelAck::Serialize(none) == 0);
}

TEST_CASE("DataChannelAck rejects malformed messages", "[DataChannelAck]") {
  CHECK_FALSE(DataChannelAck::Parse({}));
  for (uint8_t type : {0x00, 0x01, 0x03, 0x82, 0xFF}) {
    const std::vector<uint8_t> bad{type};
    INFO("type " << int{type});
    CHECK_FALSE(DataChannelAck::Parse(bad));
  }
  CHECK_FALSE(DataChannelAck::Parse(Hex("02 00")));  // trailing byte
  // An OPEN is not an ACK, and an ACK is not an OPEN.
  CHECK_FALSE(DataChannelAck::Parse(Hex("03 00 00 00 00 00 00 00 00 00 00 00")));
  CHECK_FALSE(DataChannelOpen::Parse(Hex("02")));
}
