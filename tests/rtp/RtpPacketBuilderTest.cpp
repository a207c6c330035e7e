#include <array>
#include <catch2/catch.hpp>
#include <vector>

#include "rtp/RtpPacket.h"
#include "rtp/RtpPacketBuilder.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;
using myriad::rtp::test::ToVector;

namespace {
const std::array<uint8_t, 1> kAa{0xAA};
const std::array<uint8_t, 2> kBbCc{0xBB, 0xCC};
const std::array<uint8_t, 1> kDd{0xDD};
const std::array<uint8_t, 3> kPayload{1, 2, 3};

RtpPacketBuilder& Fill(RtpPacketBuilder& builder) {
  return builder.SetPayloadType(96)
      .SetMarker(true)
      .SetSequenceNumber(1)
      .SetTimestamp(2)
      .SetSsrc(3)
      .AddCsrc(4)
      .AddExtension(1, kAa)
      .AddExtension(2, kBbCc)
      .AddExtension(3, kDd)
      .SetPayload(kPayload)
      .SetPaddingSize(3);
}
}  // namespace

TEST_CASE("RtpPacketBuilder writes the expected bytes", "[RtpPacketBuilder]") {
  std::vector<uint8_t> buffer(1500, 0xEE);
  RtpPacketBuilder builder(buffer);
  const auto written = Fill(builder).Build();
  CHECK(ToVector(written) == Hex("b1 e0 00 01  00 00 00 02  00 00 00 03  00 00 00 04"
                                 "be de 00 02  10 aa 21 bb  cc 30 dd 00"
                                 "01 02 03  00 00 03"));
  auto packet = RtpPacket::Parse(written);
  REQUIRE(packet);
  CHECK(ToVector(packet->GetExtension(2)) == Hex("bb cc"));
  CHECK(ToVector(packet->Payload()) == Hex("01 02 03"));
}

TEST_CASE("RtpPacketBuilder without extensions or padding", "[RtpPacketBuilder]") {
  std::array<uint8_t, 64> buffer{};
  const auto written = RtpPacketBuilder(buffer)
                           .SetPayloadType(0)
                           .SetSequenceNumber(0xFFFF)
                           .SetTimestamp(0xFFFFFFFF)
                           .SetSsrc(0x11223344)
                           .SetPayload(kPayload)
                           .Build();
  CHECK(ToVector(written) == Hex("80 00 ff ff ff ff ff ff 11 22 33 44 01 02 03"));
}

TEST_CASE("RtpPacketBuilder falls back to the two-byte form when needed", "[RtpPacketBuilder]") {
  std::array<uint8_t, 64> buffer{};
  std::array<uint8_t, 17> seventeen{};
  seventeen.fill(0x42);
  SECTION("id above 14") {
    const auto written =
        RtpPacketBuilder(buffer).AddExtension(1, kAa).AddExtension(20, kDd).Build();
    CHECK(ToVector(written) == Hex("90 00 00 00 00 00 00 00 00 00 00 00 10 00 00 02"
                                   "01 01 aa 14 01 dd 00 00"));
  }
  SECTION("empty value") {
    const auto written =
        RtpPacketBuilder(buffer).AddExtension(3, std::span<const uint8_t>()).Build();
    auto packet = RtpPacket::Parse(written);
    REQUIRE(packet);
    CHECK(packet->HasTwoByteExtensions());
    auto value = packet->FindExtension(3);
    REQUIRE(value);
    CHECK(value->empty());
  }
  SECTION("value longer than 16 bytes") {
    const auto written = RtpPacketBuilder(buffer).AddExtension(3, seventeen).Build();
    auto packet = RtpPacket::Parse(written);
    REQUIRE(packet);
    CHECK(packet->HasTwoByteExtensions());
    CHECK(ToVector(packet->GetExtension(3)) == ToVector(seventeen));
  }
}

TEST_CASE("RtpPacketBuilder returns an empty span on overflow", "[RtpPacketBuilder]") {
  std::vector<uint8_t> big(1500);
  RtpPacketBuilder sizing(big);
  const size_t needed = Fill(sizing).Build().size();
  REQUIRE(needed == 34);
  for (size_t size = 0; size < needed; ++size) {
    std::vector<uint8_t> small(size);
    RtpPacketBuilder builder(small);
    INFO("buffer " << size);
    CHECK(Fill(builder).Build().empty());
  }
  std::vector<uint8_t> exact(needed);
  RtpPacketBuilder builder(exact);
  CHECK(Fill(builder).Build().size() == needed);
}

TEST_CASE("RtpPacketBuilder rejects invalid values", "[RtpPacketBuilder]") {
  std::array<uint8_t, 256> buffer{};
  CHECK(RtpPacketBuilder(buffer).SetPayloadType(128).Build().empty());
  CHECK(RtpPacketBuilder(buffer).AddExtension(0, kAa).Build().empty());
  RtpPacketBuilder tooManyCsrcs(buffer);
  for (uint32_t i = 0; i < 16; ++i) tooManyCsrcs.AddCsrc(i);
  CHECK(tooManyCsrcs.Build().empty());
  RtpPacketBuilder fifteen(buffer);
  for (uint32_t i = 0; i < 15; ++i) fifteen.AddCsrc(i);
  auto packet = RtpPacket::Parse(fifteen.Build());
  REQUIRE(packet);
  CHECK(packet->CsrcCount() == 15);
  CHECK(packet->Csrc(14) == 14);
}
