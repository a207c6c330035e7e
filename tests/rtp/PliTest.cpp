#include <array>
#include <catch2/catch.hpp>

#include "rtp/Pli.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;
using myriad::rtp::test::ToVector;

namespace {
const char* kPli = "81 ce 00 02 00 00 00 01 00 00 00 02";
}

TEST_CASE("Pli round-trips", "[Pli]") {
  auto bytes = Hex(kPli);
  auto pli = Pli::Parse(bytes);
  REQUIRE(pli);
  CHECK(pli->SenderSsrc() == 1);
  CHECK(pli->MediaSsrc() == 2);
  std::array<uint8_t, Pli::kSize> out{};
  REQUIRE(Pli::Serialize(Pli::Fields{1, 2}, out) == Pli::kSize);
  CHECK(ToVector(out) == bytes);
  std::array<uint8_t, Pli::kSize - 1> small{};
  CHECK(Pli::Serialize(Pli::Fields{1, 2}, small) == 0);

  pli->SetSenderSsrc(3);
  pli->SetMediaSsrc(4);
  CHECK(Pli::Parse(bytes)->SenderSsrc() == 3);
  CHECK(Pli::Parse(bytes)->MediaSsrc() == 4);
}

TEST_CASE("Pli rejects malformed packets", "[Pli]") {
  const auto bytes = Hex(kPli);
  myriad::rtp::test::RequireEveryTruncationRejected<Pli>(bytes);
  myriad::rtp::test::RequireBadVersionAndLengthRejected<Pli>(bytes);
  auto fir = bytes;
  fir[0] = 0x84;
  CHECK_FALSE(Pli::Parse(fir));
  auto nack = bytes;
  nack[1] = 205;
  CHECK_FALSE(Pli::Parse(nack));
  auto withExtra = Hex("81 ce 00 03 00 00 00 01 00 00 00 02 00 00 00 00");
  CHECK(Pli::Parse(withExtra));
}
