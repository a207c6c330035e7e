#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <vector>

#include "rtp/Remb.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;

namespace {
// 1 Mbps = 250000 * 2^2 -> exp 2, mantissa 0x3D090 -> "0b d0 90".
const char* kRemb =
    "8f ce 00 06 00 00 00 01 00 00 00 00 52 45 4d 42 02 0b d0 90 11 11 11 11 22 22 22 22";
}  // namespace

TEST_CASE("Remb parses a hand-computed packet", "[Remb]") {
  auto bytes = Hex(kRemb);
  auto remb = Remb::Parse(bytes);
  REQUIRE(remb);
  CHECK(remb->SenderSsrc() == 1);
  CHECK(remb->Exponent() == 2);
  CHECK(remb->Mantissa() == 250000);
  CHECK(remb->BitrateBps() == 1'000'000);
  REQUIRE(remb->SsrcCount() == 2);
  CHECK(remb->SsrcAt(0) == 0x11111111);
  CHECK(remb->SsrcAt(1) == 0x22222222);
}

TEST_CASE("Remb serializes byte-exactly", "[Remb]") {
  const uint32_t ssrcs[] = {0x11111111, 0x22222222};
  Remb::Fields fields{1, 1'000'000, ssrcs};
  std::vector<uint8_t> out(Remb::SerializedSize(fields));
  REQUIRE(Remb::Serialize(fields, out) == 28);
  CHECK(out == Hex(kRemb));
  std::vector<uint8_t> small(27);
  CHECK(Remb::Serialize(fields, small) == 0);
}

TEST_CASE("Remb exponent/mantissa encoding", "[Remb]") {
  auto check = [](uint64_t bps, uint8_t exp, uint32_t mantissa) {
    const auto encoded = Remb::EncodeBitrate(bps);
    INFO(bps);
    CHECK(encoded.exponent == exp);
    CHECK(encoded.mantissa == mantissa);
  };
  check(0, 0, 0);
  check(262143, 0, 262143);  // largest exact mantissa
  check(262144, 1, 131072);
  check(262145, 1, 131072);  // truncated, never rounded up
  check(1'000'000, 2, 250000);
  check(2'500'000'000ull, 14, 152587);  // 2.5e9 / 16384 = 152587.89
  check(std::numeric_limits<uint64_t>::max(), 46, 262143);

  std::vector<uint8_t> out(Remb::kFixedSize);
  REQUIRE(Remb::Serialize(Remb::Fields{1, 262144, {}}, out) == Remb::kFixedSize);
  CHECK(out == Hex("8f ce 00 04 00 00 00 01 00 00 00 00 52 45 4d 42 00 06 00 00"));
  auto remb = Remb::Parse(out);
  REQUIRE(remb);
  CHECK(remb->BitrateBps() == 262144);
}

TEST_CASE("Remb saturates absurd exponents", "[Remb]") {
  auto bytes = Hex("8f ce 00 04 00 00 00 01 00 00 00 00 52 45 4d 42 00 ff ff ff");
  auto remb = Remb::Parse(bytes);
  REQUIRE(remb);
  CHECK(remb->Exponent() == 63);
  CHECK(remb->BitrateBps() == std::numeric_limits<uint64_t>::max());
}

TEST_CASE("Remb SSRC setters", "[Remb]") {
  auto bytes = Hex(kRemb);
  auto remb = Remb::Parse(bytes);
  REQUIRE(remb);
  remb->SetSenderSsrc(7);
  remb->SetSsrcAt(1, 8);
  auto again = Remb::Parse(bytes);
  CHECK(again->SenderSsrc() == 7);
  CHECK(again->SsrcAt(0) == 0x11111111);
  CHECK(again->SsrcAt(1) == 8);
}

TEST_CASE("Remb rejects malformed packets", "[Remb]") {
  const auto bytes = Hex(kRemb);
  myriad::rtp::test::RequireEveryTruncationRejected<Remb>(bytes);
  myriad::rtp::test::RequireBadVersionAndLengthRejected<Remb>(bytes);
  auto wrongId = bytes;
  wrongId[15] = 'C';
  CHECK_FALSE(Remb::Parse(wrongId));
  auto wrongFmt = bytes;
  wrongFmt[0] = 0x81;
  CHECK_FALSE(Remb::Parse(wrongFmt));
  auto tooManySsrcs = bytes;
  tooManySsrcs[16] = 3;
  CHECK_FALSE(Remb::Parse(tooManySsrcs));
}
