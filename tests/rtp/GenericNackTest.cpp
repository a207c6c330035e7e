#include <catch2/catch.hpp>
#include <vector>

#include "rtp/GenericNack.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;

namespace {
// Lost {100, 101, 103, 116, 117, 200}: items (100, 0x8005) (117, 0) (200, 0).
const char* kNack = "81 cd 00 05 00 00 00 01 00 00 00 02  00 64 80 05  00 75 00 00  00 c8 00 00";

std::vector<uint16_t> LostOf(const GenericNack& nack) {
  std::vector<uint16_t> lost;
  nack.ForEachLostSequenceNumber([&](uint16_t seq) { lost.push_back(seq); });
  return lost;
}

std::vector<uint8_t> Serialize(std::vector<uint16_t> lost) {
  GenericNack::Fields fields{1, 2, lost};
  std::vector<uint8_t> out(GenericNack::SerializedSize(fields));
  REQUIRE(GenericNack::Serialize(fields, out) == out.size());
  return out;
}
}  // namespace

TEST_CASE("GenericNack parses items and expands lost sequence numbers", "[GenericNack]") {
  auto bytes = Hex(kNack);
  auto nack = GenericNack::Parse(bytes);
  REQUIRE(nack);
  CHECK(nack->SenderSsrc() == 1);
  CHECK(nack->MediaSsrc() == 2);
  REQUIRE(nack->ItemCount() == 3);
  CHECK(nack->ItemAt(0) == GenericNack::Item{100, 0x8005});
  CHECK(LostOf(*nack) == std::vector<uint16_t>{100, 101, 103, 116, 117, 200});
}

TEST_CASE("GenericNack packs lost sequence numbers into PID/BLP items", "[GenericNack]") {
  CHECK(Serialize({100, 101, 103, 116, 117, 200}) == Hex(kNack));
  // Wraps around 65535 -> 0 within one item.
  auto wrapped = Serialize({65535, 0, 5});
  CHECK(wrapped == Hex("81 cd 00 03 00 00 00 01 00 00 00 02 ff ff 00 21"));
  // Duplicates collapse.
  CHECK(Serialize({10, 10, 11}) == Hex("81 cd 00 03 00 00 00 01 00 00 00 02 00 0a 00 01"));
  CHECK(GenericNack::ItemCountFor(std::vector<uint16_t>{1, 17, 18, 34}) == 2);
}

TEST_CASE("GenericNack round-trips many losses", "[GenericNack]") {
  std::vector<uint16_t> lost;
  for (uint32_t seq = 65000; seq < 65000 + 900; seq += (seq % 7) + 1) {
    lost.push_back(static_cast<uint16_t>(seq));
  }
  auto bytes = Serialize(lost);
  auto nack = GenericNack::Parse(bytes);
  REQUIRE(nack);
  CHECK(LostOf(*nack) == lost);
}

TEST_CASE("GenericNack serialization edge cases", "[GenericNack]") {
  std::vector<uint8_t> out(64);
  CHECK(GenericNack::Serialize(GenericNack::Fields{1, 2, {}}, out) == 0);  // nothing to report
  const uint16_t one[] = {7};
  std::vector<uint8_t> small(15);
  CHECK(GenericNack::Serialize(GenericNack::Fields{1, 2, one}, small) == 0);
}

TEST_CASE("GenericNack SSRC setters", "[GenericNack]") {
  auto bytes = Hex(kNack);
  auto nack = GenericNack::Parse(bytes);
  REQUIRE(nack);
  nack->SetSenderSsrc(0xAAAAAAAA);
  nack->SetMediaSsrc(0xBBBBBBBB);
  auto again = GenericNack::Parse(bytes);
  CHECK(again->SenderSsrc() == 0xAAAAAAAA);
  CHECK(again->MediaSsrc() == 0xBBBBBBBB);
  CHECK(LostOf(*again).size() == 6);
}

TEST_CASE("GenericNack rejects malformed packets", "[GenericNack]") {
  const auto bytes = Hex(kNack);
  myriad::rtp::test::RequireEveryTruncationRejected<GenericNack>(bytes);
  myriad::rtp::test::RequireBadVersionAndLengthRejected<GenericNack>(bytes);
  auto wrongFmt = bytes;
  wrongFmt[0] = 0x8F;
  CHECK_FALSE(GenericNack::Parse(wrongFmt));
  auto wrongType = bytes;
  wrongType[1] = 206;
  CHECK_FALSE(GenericNack::Parse(wrongType));
  auto noItems = Hex("81 cd 00 02 00 00 00 01 00 00 00 02");
  CHECK_FALSE(GenericNack::Parse(noItems));
  auto partialItem = Hex("a1 cd 00 03 00 00 00 01 00 00 00 02 00 64 00 02");  // 2 padding
  CHECK_FALSE(GenericNack::Parse(partialItem));
}
