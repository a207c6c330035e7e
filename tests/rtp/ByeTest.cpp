#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "rtp/Bye.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;

namespace {
const char* kByeWithReason = "82 cb 00 03 00 00 00 01 00 00 00 02 03 62 79 65";
}

TEST_CASE("Bye parses SSRCs and reason", "[Bye]") {
  auto bytes = Hex(kByeWithReason);
  auto bye = Bye::Parse(bytes);
  REQUIRE(bye);
  REQUIRE(bye->SsrcCount() == 2);
  CHECK(bye->SsrcAt(0) == 1);
  CHECK(bye->SsrcAt(1) == 2);
  CHECK(bye->Reason() == "bye");

  bye->SetSsrcAt(1, 0x77777777);
  CHECK(Bye::Parse(bytes)->SsrcAt(1) == 0x77777777);
}

TEST_CASE("Bye serializes byte-exactly", "[Bye]") {
  const uint32_t ssrcs[] = {1, 2};
  std::vector<uint8_t> out(16);
  REQUIRE(Bye::Serialize(Bye::Fields{ssrcs, "bye"}, out) == 16);
  CHECK(out == Hex(kByeWithReason));

  std::vector<uint8_t> tooSmall(16, 0xEE);
  CHECK(Bye::Serialize(Bye::Fields{ssrcs, "byebye"}, tooSmall) == 0);
  REQUIRE(Bye::SerializedSize(Bye::Fields{ssrcs, "byebye"}) == 20);
  std::vector<uint8_t> out20(20, 0xEE);
  REQUIRE(Bye::Serialize(Bye::Fields{ssrcs, "byebye"}, out20) == 20);
  CHECK(out20 == Hex("82 cb 00 04 00 00 00 01 00 00 00 02 06 62 79 65 62 79 65 00"));
  auto parsed = Bye::Parse(out20);
  REQUIRE(parsed);
  CHECK(parsed->Reason() == "byebye");

  std::vector<uint8_t> noReason(8);
  const uint32_t one[] = {9};
  REQUIRE(Bye::Serialize(Bye::Fields{one, {}}, noReason) == 8);
  CHECK(noReason == Hex("81 cb 00 01 00 00 00 09"));
  CHECK(Bye::Parse(noReason)->Reason().empty());
  std::vector<uint8_t> small(7);
  CHECK(Bye::Serialize(Bye::Fields{one, {}}, small) == 0);
  const std::string tooLong(256, 'x');
  std::vector<uint8_t> big(400);
  CHECK(Bye::Serialize(Bye::Fields{one, tooLong}, big) == 0);
}

TEST_CASE("Bye rejects malformed packets", "[Bye]") {
  const auto bytes = Hex(kByeWithReason);
  myriad::rtp::test::RequireEveryTruncationRejected<Bye>(bytes);
  myriad::rtp::test::RequireBadVersionAndLengthRejected<Bye>(bytes);
  auto reasonPastEnd = Hex("81 cb 00 02 00 00 00 01 05 61 62 63");
  CHECK_FALSE(Bye::Parse(reasonPastEnd));
  auto tooManySsrcs = Hex("83 cb 00 02 00 00 00 01 00 00 00 02");
  CHECK_FALSE(Bye::Parse(tooManySsrcs));
}
