#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "rtp/Rpsi.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;
using myriad::rtp::test::ToVector;

namespace {
// Built by hand from RFC 4585 6.1 and 6.3.3.2: FMT 3, PT 206, 5 words; sender 1, media
// 0x11223344; PB 16, payload type 96; LTR bit string: kind 1, reserved 0, frameId 0x1234; 16
// padding bits.
const char* kLtrAck = "83 ce 00 04 00 00 00 01 11 22 33 44 10 60 01 00 12 34 00 00";
// An 11-bit native string 0xAB, 0b111: 2 + 2 bytes of FCI, PB = 32 - 16 - 11 = 5; payload type
// 127.
const char* kElevenBits = "83 ce 00 03 00 00 00 01 00 00 00 02 05 7f ab e0";
}  // namespace

TEST_CASE("Rpsi parses a hand-built LTR acknowledgement", "[Rpsi]") {
  auto bytes = Hex(kLtrAck);
  auto rpsi = Rpsi::Parse(bytes);
  REQUIRE(rpsi);
  CHECK(rpsi->SenderSsrc() == 1);
  CHECK(rpsi->MediaSsrc() == 0x11223344);
  CHECK(rpsi->PaddingBits() == 16);
  CHECK(rpsi->PayloadType() == 96);
  CHECK(rpsi->NativeBitLength() == 32);
  CHECK(ToVector(rpsi->NativeBitString()) == Hex("01 00 12 34"));

  const auto ltr = Rpsi::ParseLtr(bytes);
  REQUIRE(ltr);
  CHECK(*ltr == Rpsi::LtrMessage{1, 0x11223344, 96, Rpsi::LtrKind::kAcknowledged, 0x1234});
  CHECK(rpsi->ToLtr() == ltr);
}

TEST_CASE("Rpsi serializes LTR messages byte-exactly", "[Rpsi]") {
  std::array<uint8_t, Rpsi::kLtrSize> out{};
  out.fill(0xEE);
  const Rpsi::LtrMessage ack{1, 0x11223344, 96, Rpsi::LtrKind::kAcknowledged, 0x1234};
  REQUIRE(Rpsi::SerializeLtr(ack, out) == Rpsi::kLtrSize);
  CHECK(ToVector(out) == Hex(kLtrAck));

  const Rpsi::LtrMessage recover{7, 8, 100, Rpsi::LtrKind::kRecoverFrom, 0xFFFF};
  REQUIRE(Rpsi::SerializeLtr(recover, out) == Rpsi::kLtrSize);
  CHECK(ToVector(out) == Hex("83 ce 00 04 00 00 00 07 00 00 00 08 10 64 02 00 ff ff 00 00"));
  CHECK(Rpsi::ParseLtr(out) == recover);

  std::array<uint8_t, Rpsi::kLtrSize - 1> small{};
  CHECK(Rpsi::SerializeLtr(ack, small) == 0);
  auto badKind = ack;
  badKind.kind = static_cast<Rpsi::LtrKind>(3);
  CHECK(Rpsi::SerializeLtr(badKind, out) == 0);
  auto badPayloadType = ack;
  badPayloadType.payloadType = 128;
  CHECK(Rpsi::SerializeLtr(badPayloadType, out) == 0);
}

TEST_CASE("Rpsi round-trips a bit string that ends inside a byte", "[Rpsi]") {
  auto bytes = Hex(kElevenBits);
  auto rpsi = Rpsi::Parse(bytes);
  REQUIRE(rpsi);
  CHECK(rpsi->PaddingBits() == 5);
  CHECK(rpsi->PayloadType() == 127);
  CHECK(rpsi->NativeBitLength() == 11);
  CHECK(ToVector(rpsi->NativeBitString()) == Hex("ab e0"));
  CHECK_FALSE(rpsi->ToLtr());  // not the 32-bit LTR layout

  // Bits past the length are padding and written as zero whatever the caller's buffer holds.
  const uint8_t bits[] = {0xAB, 0xFF, 0x55};
  const Rpsi::Fields fields{1, 2, 127, bits, 11};
  REQUIRE(Rpsi::SerializedSize(fields) == bytes.size());
  std::vector<uint8_t> out(bytes.size(), 0xEE);
  REQUIRE(Rpsi::Serialize(fields, out) == bytes.size());
  CHECK(out == bytes);
}

TEST_CASE("Rpsi picks the smallest padding for each bit length", "[Rpsi]") {
  struct Case {
    size_t bits;
    size_t size;
    uint8_t padding;
  };
  // FCI = 2 bytes + the bit string, rounded up to 32 bits; PB is the rest.
  const Case cases[] = {{1, 16, 15},  {8, 16, 8},  {16, 16, 0},  {17, 20, 31},
                        {32, 20, 16}, {48, 20, 0}, {49, 24, 31}, {80, 24, 0}};
  const std::vector<uint8_t> bits(10, 0xFF);
  for (const Case& c : cases) {
    INFO(c.bits << " bits");
    const Rpsi::Fields fields{3, 4, 5, bits, c.bits};
    REQUIRE(Rpsi::SerializedSize(fields) == c.size);
    std::vector<uint8_t> out(c.size);
    REQUIRE(Rpsi::Serialize(fields, out) == c.size);
    auto rpsi = Rpsi::Parse(out);
    REQUIRE(rpsi);
    CHECK(rpsi->PaddingBits() == c.padding);
    CHECK(rpsi->NativeBitLength() == c.bits);
    CHECK(rpsi->NativeBitString().size() == (c.bits + 7) / 8);
  }
}

TEST_CASE("Rpsi refuses to serialize invalid fields", "[Rpsi]") {
  const uint8_t bits[] = {1, 2};
  std::vector<uint8_t> out(64);
  CHECK(Rpsi::Serialize(Rpsi::Fields{1, 2, 96, bits, 0}, out) == 0);   // no bit string
  CHECK(Rpsi::Serialize(Rpsi::Fields{1, 2, 96, bits, 17}, out) == 0);  // more bits than bytes
  CHECK(Rpsi::Serialize(Rpsi::Fields{1, 2, 128, bits, 16}, out) == 0);
  CHECK(Rpsi::SerializedSize(Rpsi::Fields{1, 2, 128, bits, 16}) == 0);
  std::vector<uint8_t> small(15);
  CHECK(Rpsi::Serialize(Rpsi::Fields{1, 2, 96, bits, 16}, small) == 0);
}

TEST_CASE("Rpsi ignores the 0 bit, the reserved byte and RTCP padding", "[Rpsi]") {
  // 0 bit set in front of payload type 96, reserved byte 0xff.
  auto bytes = Hex("83 ce 00 04 00 00 00 01 11 22 33 44 10 e0 02 ff 00 05 00 00");
  const auto ltr = Rpsi::ParseLtr(bytes);
  REQUIRE(ltr);
  CHECK(ltr->payloadType == 96);
  CHECK(ltr->kind == Rpsi::LtrKind::kRecoverFrom);
  CHECK(ltr->frameId == 5);

  // RFC 3550 6.4.1 padding after the FCI (P bit, 4 bytes ending in the count) is not FCI.
  auto padded = Hex("a3 ce 00 05 00 00 00 01 11 22 33 44 10 60 01 00 12 34 00 00 00 00 00 04");
  const auto fromPadded = Rpsi::ParseLtr(padded);
  REQUIRE(fromPadded);
  CHECK(fromPadded->frameId == 0x1234);
}

TEST_CASE("Rpsi LTR layout rejects reserved kinds and other lengths", "[Rpsi]") {
  for (uint8_t kind : {0, 3, 4, 0x81, 0xFF}) {
    auto bytes = Hex(kLtrAck);
    bytes[14] = kind;
    INFO("kind " << int{kind});
    CHECK(Rpsi::Parse(bytes));  // a valid RPSI, just not an LTR message
    CHECK_FALSE(Rpsi::ParseLtr(bytes));
  }
  // The same 8-byte FCI with PB 8 (40 bits) or 24 (24 bits) is not the 32-bit layout.
  for (uint8_t padding : {0, 8, 15, 17, 24}) {
    auto bytes = Hex(kLtrAck);
    bytes[12] = padding;
    INFO("PB " << int{padding});
    CHECK(Rpsi::Parse(bytes));
    CHECK_FALSE(Rpsi::ParseLtr(bytes));
  }
}

TEST_CASE("Rpsi rejects malformed packets", "[Rpsi]") {
  const auto bytes = Hex(kLtrAck);
  myriad::rtp::test::RequireEveryTruncationRejected<Rpsi>(bytes);
  myriad::rtp::test::RequireBadVersionAndLengthRejected<Rpsi>(bytes);
  auto pli = bytes;
  pli[0] = 0x81;
  CHECK_FALSE(Rpsi::Parse(pli));
  auto tmmbr = bytes;  // RTPFB FMT 3
  tmmbr[1] = 205;
  CHECK_FALSE(Rpsi::Parse(tmmbr));
  auto noFci = Hex("83 ce 00 02 00 00 00 01 11 22 33 44");
  CHECK_FALSE(Rpsi::Parse(noFci));

  // PB must leave at least one bit of the 16 that a 4-byte FCI has after PB and payload type.
  struct Case {
    uint8_t padding;
    bool accepted;
  };
  for (const Case c : {Case{15, true}, Case{16, false}, Case{17, false}, Case{255, false}}) {
    auto small = Hex("83 ce 00 03 00 00 00 01 00 00 00 02 00 60 80 00");
    small[12] = c.padding;
    INFO("PB " << int{c.padding});
    CHECK(Rpsi::Parse(small).has_value() == c.accepted);
  }
  // A PB of 32 or more fits a longer FCI: whole words of padding, tolerated.
  auto wordOfPadding = Hex("83 ce 00 04 00 00 00 01 00 00 00 02 2f 60 80 00 00 00 00 00");
  const auto tolerant = Rpsi::Parse(wordOfPadding);
  REQUIRE(tolerant);
  CHECK(tolerant->NativeBitLength() == 1);
}

TEST_CASE("Rpsi SSRC setters rewrite in place", "[Rpsi]") {
  auto bytes = Hex(kLtrAck);
  auto rpsi = Rpsi::Parse(bytes);
  REQUIRE(rpsi);
  rpsi->SetSenderSsrc(9);
  rpsi->SetMediaSsrc(10);
  const auto again = Rpsi::ParseLtr(bytes);
  REQUIRE(again);
  CHECK(again->senderSsrc == 9);
  CHECK(again->mediaSsrc == 10);
  CHECK(again->frameId == 0x1234);
}
