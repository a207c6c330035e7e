#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "rtp/Sdes.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;

namespace {
// One chunk: SSRC 0x11223344, CNAME "user@h", 4 null octets to the boundary.
const char* kOneChunk = "81 ca 00 04 11 22 33 44 01 06 75 73 65 72 40 68 00 00 00 00";
// Two chunks: {SSRC 1, CNAME "ab", NAME "x"} and {SSRC 2, no items}.
const char* kTwoChunks =
    "82 ca 00 05  00 00 00 01 01 02 61 62 02 01 78 00  00 00 00 02 00 00 00 00";
}  // namespace

TEST_CASE("Sdes parses a CNAME chunk", "[Sdes]") {
  auto bytes = Hex(kOneChunk);
  auto sdes = Sdes::Parse(bytes);
  REQUIRE(sdes);
  REQUIRE(sdes->ChunkCount() == 1);
  auto chunk = *sdes->begin();
  CHECK(chunk.Ssrc() == 0x11223344);
  CHECK(chunk.Cname() == "user@h");
  CHECK(chunk.Size() == 16);
}

TEST_CASE("Sdes iterates several chunks and items", "[Sdes]") {
  auto bytes = Hex(kTwoChunks);
  auto sdes = Sdes::Parse(bytes);
  REQUIRE(sdes);
  std::vector<uint32_t> ssrcs;
  std::vector<std::string> cnames;
  for (Sdes::Chunk chunk : *sdes) {
    ssrcs.push_back(chunk.Ssrc());
    cnames.emplace_back(chunk.Cname());
  }
  CHECK(ssrcs == std::vector<uint32_t>{1, 2});
  CHECK(cnames == std::vector<std::string>{"ab", ""});

  auto first = *sdes->begin();
  std::vector<std::pair<int, std::string>> items;
  first.ForEachItem([&](uint8_t type, std::span<uint8_t> value) {
    items.emplace_back(type, std::string(value.begin(), value.end()));
  });
  CHECK(items == std::vector<std::pair<int, std::string>>{{1, "ab"}, {2, "x"}});
  auto name = first.FindItem(Sdes::kName);
  REQUIRE(name);
  CHECK(name->size() == 1);
  CHECK_FALSE(first.FindItem(Sdes::kEmail));
}

TEST_CASE("Sdes serializes byte-exactly and round-trips", "[Sdes]") {
  const Sdes::ItemFields items1[] = {{Sdes::kCname, "ab"}, {Sdes::kName, "x"}};
  const Sdes::ChunkFields chunks[] = {{1, items1}, {2, {}}};
  const Sdes::Fields fields{chunks};
  REQUIRE(Sdes::SerializedSize(fields) == 24);
  std::vector<uint8_t> out(24, 0xEE);
  REQUIRE(Sdes::Serialize(fields, out) == 24);
  CHECK(out == Hex(kTwoChunks));

  const Sdes::ItemFields cname[] = {{Sdes::kCname, "user@h"}};
  const Sdes::ChunkFields one[] = {{0x11223344, cname}};
  std::vector<uint8_t> single(20);
  REQUIRE(Sdes::Serialize(Sdes::Fields{one}, single) == 20);
  CHECK(single == Hex(kOneChunk));
  std::vector<uint8_t> small(19);
  CHECK(Sdes::Serialize(Sdes::Fields{one}, small) == 0);
}

TEST_CASE("Sdes rejects invalid fields", "[Sdes]") {
  std::vector<uint8_t> out(600);
  const Sdes::ItemFields endType[] = {{Sdes::kEnd, "x"}};
  const Sdes::ChunkFields bad[] = {{1, endType}};
  CHECK(Sdes::Serialize(Sdes::Fields{bad}, out) == 0);
  const std::string tooLong(256, 'a');
  const Sdes::ItemFields longItem[] = {{Sdes::kCname, tooLong}};
  const Sdes::ChunkFields longChunk[] = {{1, longItem}};
  CHECK(Sdes::Serialize(Sdes::Fields{longChunk}, out) == 0);
}

TEST_CASE("Sdes SetSsrc rewrites the chunk in place", "[Sdes]") {
  auto bytes = Hex(kTwoChunks);
  auto sdes = Sdes::Parse(bytes);
  REQUIRE(sdes);
  auto it = sdes->begin();
  ++it;
  (*it).SetSsrc(0xABCDEF01);
  auto again = Sdes::Parse(bytes);
  REQUIRE(again);
  auto second = again->begin();
  second++;
  CHECK((*second).Ssrc() == 0xABCDEF01);
  CHECK((*again->begin()).Ssrc() == 1);
}

TEST_CASE("Sdes rejects malformed packets", "[Sdes]") {
  const auto bytes = Hex(kTwoChunks);
  myriad::rtp::test::RequireEveryTruncationRejected<Sdes>(bytes);
  myriad::rtp::test::RequireBadVersionAndLengthRejected<Sdes>(bytes);
  auto missingTerminator = Hex("81 ca 00 03 00 00 00 01 01 04 61 62 63 64");
  CHECK_FALSE(Sdes::Parse(missingTerminator));
  auto itemPastEnd = Hex("81 ca 00 03 00 00 00 01 01 09 61 62 63 64");
  CHECK_FALSE(Sdes::Parse(itemPastEnd));
  auto missingChunk = Hex(kOneChunk);
  missingChunk[0] = 0x82;
  CHECK_FALSE(Sdes::Parse(missingChunk));
  auto wrongType = Hex(kOneChunk);
  wrongType[1] = 203;
  CHECK_FALSE(Sdes::Parse(wrongType));
  auto empty = Hex("80 ca 00 00");  // SC=0 is valid
  auto parsed = Sdes::Parse(empty);
  REQUIRE(parsed);
  CHECK(parsed->begin() == parsed->end());
}
