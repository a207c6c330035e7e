#include <catch2/catch.hpp>
#include <vector>

#include "rtp/RtpPacket.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;
using myriad::rtp::test::ToVector;

namespace {

// V=2 P=1 X=1 CC=1, M=1 PT=96, seq 1, ts 2, SSRC 3, CSRC 4, one-byte extensions
// {1: AA} {2: BB CC} pad {3: DD}, payload 01 02 03, 3 padding bytes.
const char* kFullPacket =
    "b1 e0 00 01  00 00 00 02  00 00 00 03  00 00 00 04"
    "be de 00 02  10 aa 21 bb  cc 00 30 dd"
    "01 02 03  00 00 03";

std::vector<uint8_t> ValueOf(const RtpPacket& packet, uint8_t id) {
  return ToVector(packet.GetExtension(id));
}

}  // namespace

TEST_CASE("RtpPacket parses a minimal header", "[RtpPacket]") {
  auto bytes = Hex("80 60 12 34  00 00 56 78  de ad be ef");
  auto packet = RtpPacket::Parse(bytes);
  REQUIRE(packet);
  CHECK(packet->Version() == 2);
  CHECK_FALSE(packet->HasPadding());
  CHECK_FALSE(packet->HasExtension());
  CHECK_FALSE(packet->Marker());
  CHECK(packet->PayloadType() == 96);
  CHECK(packet->SequenceNumber() == 0x1234);
  CHECK(packet->Timestamp() == 0x5678);
  CHECK(packet->Ssrc() == 0xDEADBEEF);
  CHECK(packet->CsrcCount() == 0);
  CHECK(packet->HeaderSize() == 12);
  CHECK(packet->Payload().empty());
  CHECK(packet->PaddingSize() == 0);
  CHECK(packet->Size() == 12);
  CHECK(packet->GetExtension(1).empty());
}

TEST_CASE("RtpPacket parses CSRCs, one-byte extensions, payload and padding", "[RtpPacket]") {
  auto bytes = Hex(kFullPacket);
  auto packet = RtpPacket::Parse(bytes);
  REQUIRE(packet);
  CHECK(packet->HasPadding());
  CHECK(packet->Marker());
  CHECK(packet->PayloadType() == 96);
  CHECK(packet->SequenceNumber() == 1);
  CHECK(packet->Timestamp() == 2);
  CHECK(packet->Ssrc() == 3);
  REQUIRE(packet->CsrcCount() == 1);
  CHECK(packet->Csrc(0) == 4);
  CHECK(packet->HeaderSize() == 28);
  CHECK(packet->HasOneByteExtensions());
  CHECK_FALSE(packet->HasTwoByteExtensions());
  CHECK(packet->ExtensionProfile() == 0xBEDE);
  CHECK(packet->ExtensionData().size() == 8);
  CHECK(ValueOf(*packet, 1) == Hex("aa"));
  CHECK(ValueOf(*packet, 2) == Hex("bb cc"));
  CHECK(ValueOf(*packet, 3) == Hex("dd"));
  CHECK(ValueOf(*packet, 4).empty());
  CHECK_FALSE(packet->FindExtension(0));
  CHECK(ToVector(packet->Payload()) == Hex("01 02 03"));
  CHECK(packet->PaddingSize() == 3);
  CHECK(packet->Size() == bytes.size());
  CHECK(packet->Data().data() == bytes.data());

  std::vector<std::pair<int, std::vector<uint8_t>>> seen;
  packet->ForEachExtension(
      [&](uint8_t id, std::span<uint8_t> value) { seen.emplace_back(id, ToVector(value)); });
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].first == 1);
  CHECK(seen[1].first == 2);
  CHECK(seen[2].first == 3);
}

TEST_CASE("RtpPacket setters rewrite fields in place and leave neighbours alone", "[RtpPacket]") {
  auto bytes = Hex(kFullPacket);
  const auto original = bytes;
  auto packet = RtpPacket::Parse(bytes);
  REQUIRE(packet);
  packet->SetPayloadType(111);
  CHECK(packet->Marker());  // marker shares the byte
  packet->SetMarker(false);
  CHECK(packet->PayloadType() == 111);
  packet->SetSequenceNumber(0xFEDC);
  packet->SetTimestamp(0x89ABCDEF);
  packet->SetSsrc(0x01020304);
  packet->SetCsrc(0, 0x0A0B0C0D);
  auto reparsed = RtpPacket::Parse(bytes);
  REQUIRE(reparsed);
  CHECK(reparsed->PayloadType() == 111);
  CHECK_FALSE(reparsed->Marker());
  CHECK(reparsed->SequenceNumber() == 0xFEDC);
  CHECK(reparsed->Timestamp() == 0x89ABCDEF);
  CHECK(reparsed->Ssrc() == 0x01020304);
  CHECK(reparsed->Csrc(0) == 0x0A0B0C0D);
  CHECK(bytes[0] == original[0]);
  CHECK(std::equal(bytes.begin() + 16, bytes.end(), original.begin() + 16));
  packet->SetPayloadType(0xFF);  // only 7 bits exist
  CHECK(packet->PayloadType() == 0x7F);
  CHECK_FALSE(packet->Marker());
}

TEST_CASE("RtpPacket rejects malformed packets", "[RtpPacket]") {
  SECTION("bad version") {
    for (uint8_t first : {0x00, 0x40, 0xC0}) {
      auto bytes = Hex("80 60 12 34 00 00 56 78 de ad be ef");
      bytes[0] = first;
      CHECK_FALSE(RtpPacket::Parse(bytes));
    }
  }
  SECTION("every truncation inside the header") {
    const auto full = Hex(kFullPacket);
    for (size_t size = 0; size < full.size(); ++size) {
      std::vector<uint8_t> prefix(full.begin(), full.begin() + size);
      // Without the padding count at the end, every prefix is either a cut header or has a
      // bogus padding count (payload bytes 01..03 or 00) - never a valid packet.
      INFO("size " << size);
      auto parsed = RtpPacket::Parse(prefix);
      if (parsed) {
        // A prefix ending in a byte that happens to be a plausible padding count is fine, as
        // long as the view stays inside the buffer.
        CHECK(parsed->HeaderSize() + parsed->PayloadSize() + parsed->PaddingSize() == size);
        CHECK(size >= 28);
      }
    }
    for (size_t size = 0; size < 28; ++size) {
      std::vector<uint8_t> prefix(full.begin(), full.begin() + size);
      CHECK_FALSE(RtpPacket::Parse(prefix));
    }
  }
  SECTION("CSRC list beyond the buffer") {
    auto bytes = Hex("82 60 00 01 00 00 00 02 00 00 00 03 00 00 00 04");  // CC=2, one CSRC
    CHECK_FALSE(RtpPacket::Parse(bytes));
  }
  SECTION("extension length beyond the buffer") {
    auto bytes = Hex("90 60 00 01 00 00 00 02 00 00 00 03 be de 00 02 10 aa 00 00");
    CHECK_FALSE(RtpPacket::Parse(bytes));
    bytes.insert(bytes.end(), {0, 0, 0, 0});
    CHECK(RtpPacket::Parse(bytes));
  }
  SECTION("padding count zero or larger than the payload") {
    auto zero = Hex("a0 60 00 01 00 00 00 02 00 00 00 03 01 02 00");
    CHECK_FALSE(RtpPacket::Parse(zero));
    auto tooLarge = Hex("a0 60 00 01 00 00 00 02 00 00 00 03 01 02 04");
    CHECK_FALSE(RtpPacket::Parse(tooLarge));
    auto noRoom = Hex("a0 60 00 01 00 00 00 02 00 00 00 03");
    CHECK_FALSE(RtpPacket::Parse(noRoom));
    auto exact = Hex("a0 60 00 01 00 00 00 02 00 00 00 03 01 02 03");
    auto packet = RtpPacket::Parse(exact);
    REQUIRE(packet);
    CHECK(packet->PayloadSize() == 0);
    CHECK(packet->PaddingSize() == 3);
  }
}

TEST_CASE("RtpPacket one-byte extension walking rules", "[RtpPacket]") {
  SECTION("id 15 stops processing") {
    auto bytes = Hex("90 60 00 01 00 00 00 02 00 00 00 03 be de 00 01 10 aa f0 21");
    auto packet = RtpPacket::Parse(bytes);
    REQUIRE(packet);
    CHECK(ValueOf(*packet, 1) == Hex("aa"));
    CHECK_FALSE(packet->FindExtension(2));
  }
  SECTION("an element running past the block stops processing") {
    auto bytes = Hex("90 60 00 01 00 00 00 02 00 00 00 03 be de 00 01 10 aa 23 bb");
    auto packet = RtpPacket::Parse(bytes);
    REQUIRE(packet);
    CHECK(ValueOf(*packet, 1) == Hex("aa"));
    CHECK_FALSE(packet->FindExtension(2));
  }
  SECTION("unknown profile has no RFC 8285 elements") {
    auto bytes = Hex("90 60 00 01 00 00 00 02 00 00 00 03 12 34 00 01 10 aa 00 00");
    auto packet = RtpPacket::Parse(bytes);
    REQUIRE(packet);
    CHECK_FALSE(packet->HasOneByteExtensions());
    CHECK_FALSE(packet->HasTwoByteExtensions());
    CHECK_FALSE(packet->FindExtension(1));
    ExtensionIdMap map{};
    packet->RemapExtensionIds(map);  // must not touch an unknown block
    CHECK(bytes[16] == 0x10);
  }
}

TEST_CASE("RtpPacket parses the two-byte extension form", "[RtpPacket]") {
  // Profile 0x1000 with app bits 0x5: {1: empty} {2: AA BB} pad {200: CC}, 2 bytes padding.
  auto bytes =
      Hex("90 60 00 01 00 00 00 02 00 00 00 03 10 05 00 03"
          "01 00 02 02 aa bb 00 c8 01 cc 00 00  99");
  auto packet = RtpPacket::Parse(bytes);
  REQUIRE(packet);
  CHECK(packet->HasTwoByteExtensions());
  auto empty = packet->FindExtension(1);
  REQUIRE(empty);
  CHECK(empty->empty());
  CHECK(ValueOf(*packet, 2) == Hex("aa bb"));
  CHECK(ValueOf(*packet, 200) == Hex("cc"));
  CHECK(ToVector(packet->Payload()) == Hex("99"));
}

TEST_CASE("RemapExtensionIds rewrites and drops one-byte elements in place", "[RtpPacket]") {
  auto bytes = Hex(kFullPacket);
  auto packet = RtpPacket::Parse(bytes);
  REQUIRE(packet);
  ExtensionIdMap map{};
  map[1] = 5;   // renumber
  map[2] = 0;   // drop
  map[3] = 15;  // not encodable in the one-byte form: drop
  packet->RemapExtensionIds(map);
  CHECK(ToVector(packet->ExtensionData()) == Hex("50 aa 00 00 00 00 00 00"));
  CHECK(ValueOf(*packet, 5) == Hex("aa"));
  CHECK_FALSE(packet->FindExtension(1));
  CHECK_FALSE(packet->FindExtension(2));
  CHECK_FALSE(packet->FindExtension(3));
  CHECK(ToVector(packet->Payload()) == Hex("01 02 03"));  // nothing else moved
  CHECK(packet->Size() == Hex(kFullPacket).size());
}

TEST_CASE("RemapExtensionIds rewrites and drops two-byte elements in place", "[RtpPacket]") {
  auto bytes =
      Hex("90 60 00 01 00 00 00 02 00 00 00 03 10 00 00 03"
          "01 00 02 02 aa bb 00 0f 01 cc 00 00");
  auto packet = RtpPacket::Parse(bytes);
  REQUIRE(packet);
  ExtensionIdMap map{};
  map[1] = 200;
  map[2] = 0;
  map[15] = 16;  // fine in the two-byte form
  packet->RemapExtensionIds(map);
  CHECK(ToVector(packet->ExtensionData()) == Hex("c8 00 00 00 00 00 00 10 01 cc 00 00"));
  auto empty = packet->FindExtension(200);
  REQUIRE(empty);
  CHECK(empty->empty());
  CHECK_FALSE(packet->FindExtension(2));
  CHECK(ValueOf(*packet, 16) == Hex("cc"));
}

TEST_CASE("RemapExtensionIds with the identity map changes nothing", "[RtpPacket]") {
  auto bytes = Hex(kFullPacket);
  const auto original = bytes;
  auto packet = RtpPacket::Parse(bytes);
  REQUIRE(packet);
  ExtensionIdMap identity{};
  for (size_t i = 0; i < identity.size(); ++i) identity[i] = static_cast<uint8_t>(i);
  packet->RemapExtensionIds(identity);
  CHECK(bytes == original);
}
