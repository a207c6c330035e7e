#include <catch2/catch.hpp>
#include <vector>

#include "rtp/Pli.h"
#include "rtp/ReceiverReport.h"
#include "rtp/RtcpCompound.h"
#include "rtp/Sdes.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;

namespace {
// RR (no blocks) + SDES CNAME + unknown PT 210 (8 bytes) + PLI.
const char* kCompound =
    "80 c9 00 01 11 22 33 44"
    "81 ca 00 04 11 22 33 44 01 06 75 73 65 72 40 68 00 00 00 00"
    "80 d2 00 01 de ad be ef"
    "81 ce 00 02 11 22 33 44 55 66 77 88";
}  // namespace

TEST_CASE("RtcpCompound iterates every packet", "[RtcpCompound]") {
  auto bytes = Hex(kCompound);
  auto compound = RtcpCompound::Parse(bytes);
  REQUIRE(compound);
  CHECK(compound->PacketCount() == 4);
  std::vector<int> types;
  std::vector<size_t> sizes;
  for (RtcpHeader packet : *compound) {
    types.push_back(packet.PacketType());
    sizes.push_back(packet.PacketSize());
    switch (packet.PacketType()) {
      case RtcpHeader::kReceiverReport:
        CHECK(ReceiverReport::Parse(packet.Packet())->SenderSsrc() == 0x11223344);
        break;
      case RtcpHeader::kSourceDescription:
        CHECK((*Sdes::Parse(packet.Packet())->begin()).Cname() == "user@h");
        break;
      case RtcpHeader::kPayloadFeedback:
        CHECK(Pli::Parse(packet.Packet())->MediaSsrc() == 0x55667788);
        break;
      default:
        break;
    }
  }
  CHECK(types == std::vector<int>{201, 202, 210, 206});
  CHECK(sizes == std::vector<size_t>{8, 20, 8, 12});
}

TEST_CASE("RtcpCompound: a lone packet is a valid compound", "[RtcpCompound]") {
  auto bytes = Hex("81 ce 00 02 11 22 33 44 55 66 77 88");
  auto compound = RtcpCompound::Parse(bytes);
  REQUIRE(compound);
  CHECK(compound->PacketCount() == 1);
  auto it = compound->begin();
  CHECK((*it).PacketType() == 206);
  CHECK(++it == compound->end());
}

TEST_CASE("RtcpCompound requires lengths to chain exactly to the end", "[RtcpCompound]") {
  const auto bytes = Hex(kCompound);
  SECTION("every truncation") {
    // Cutting exactly between packets leaves a shorter but valid compound; any other cut
    // leaves a packet whose length runs past the end.
    for (size_t size = 0; size < bytes.size(); ++size) {
      std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + size);
      auto compound = RtcpCompound::Parse(prefix);
      INFO("size " << size);
      if (size == 8 || size == 28 || size == 36) {
        REQUIRE(compound);
        CHECK(compound->PacketCount() == (size == 8 ? 1u : size == 28 ? 2u : 3u));
      } else {
        CHECK_FALSE(compound);
      }
    }
  }
  SECTION("trailing bytes") {
    for (size_t extra = 1; extra <= 8; ++extra) {
      auto longer = bytes;
      longer.insert(longer.end(), extra, 0);
      INFO(extra);
      CHECK_FALSE(RtcpCompound::Parse(longer));
    }
    auto withAnotherPacket = bytes;
    for (uint8_t b : Hex("80 c9 00 01 00 00 00 01")) withAnotherPacket.push_back(b);
    CHECK(RtcpCompound::Parse(withAnotherPacket)->PacketCount() == 5);
  }
  SECTION("a length in the middle too long or too short") {
    auto tooLong = bytes;
    tooLong[3] = 2;  // RR claims 12 bytes: framing shifts, the next header is garbage
    CHECK_FALSE(RtcpCompound::Parse(tooLong));
    auto tooShort = bytes;
    tooShort[11] = 3;  // SDES claims 16 bytes: the next "header" is 00 00 00 00
    CHECK_FALSE(RtcpCompound::Parse(tooShort));
  }
  SECTION("an unknown packet type is still length-checked") {
    auto unknown = bytes;
    unknown[31] = 9;  // PT 210 claims 40 bytes
    CHECK_FALSE(RtcpCompound::Parse(unknown));
    auto badVersion = bytes;
    badVersion[28] = 0x40;
    CHECK_FALSE(RtcpCompound::Parse(badVersion));
  }
  SECTION("empty") {
    std::vector<uint8_t> empty;
    CHECK_FALSE(RtcpCompound::Parse(empty));
  }
}
