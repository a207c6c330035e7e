#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "rtp/BitReader.h"
#include "tests/rtp/H264TestHelpers.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::BitWriter;
using myriad::rtp::test::Hex;

namespace {

// "0 1 0 1 1" -> bytes, MSB first, zero-padded; spaces ignored.
std::vector<uint8_t> Bits(std::string_view text) {
  BitWriter writer;
  for (char c : text) {
    if (c == '0' || c == '1') writer.WriteBit(c == '1');
  }
  return writer.Bytes();
}

}  // namespace

TEST_CASE("BitReader reads fixed-width fields across byte boundaries", "[BitReader]") {
  const auto bytes = Hex("a5 0f f0 12 34 56 78");
  BitReader reader(bytes);
  CHECK(reader.RemainingBits() == 56);
  CHECK(reader.ReadBits(0) == 0);
  CHECK(reader.ReadBits(3) == 0b101);
  CHECK(reader.ReadBits(7) == 0b0010100);
  CHECK(reader.ReadBits(6) == 0b001111);
  CHECK(reader.ReadFlag());
  CHECK(reader.RemainingBits() == 39);
  reader.SkipBits(7);
  CHECK(reader.ReadBits(32) == 0x12345678);
  CHECK(reader.Ok());
  CHECK(reader.RemainingBits() == 0);
}

TEST_CASE("BitReader decodes Exp-Golomb codes as in H.264 Tables 9-2 and 9-3", "[BitReader]") {
  struct Row {
    const char* bits;
    uint32_t codeNum;
    int32_t signedValue;
  };
  const Row rows[] = {
      {"1", 0, 0},
      {"010", 1, 1},
      {"011", 2, -1},
      {"00100", 3, 2},
      {"00101", 4, -2},
      {"00110", 5, 3},
      {"00111", 6, -3},
      {"0001000", 7, 4},
      {"0001110", 13, 7},
      {"000010000", 15, 8},
      {"00000000111111111", 510, -255},
  };
  for (const Row& row : rows) {
    INFO(row.bits);
    const auto bytes = Bits(row.bits);
    BitReader unsignedReader(bytes);
    CHECK(unsignedReader.ReadUnsignedExpGolomb() == row.codeNum);
    CHECK(unsignedReader.Ok());
    BitReader signedReader(bytes);
    CHECK(signedReader.ReadSignedExpGolomb() == row.signedValue);
    CHECK(signedReader.Ok());
    CHECK(signedReader.RemainingBits() == bytes.size() * 8 - std::string_view(row.bits).size());
  }
}

TEST_CASE("BitReader reaches the 32-bit Exp-Golomb limits and rejects longer codes",
          "[BitReader]") {
  // 31 leading zeros, the marker, 31 suffix ones: 2^31 - 1 + 2^31 - 1.
  BitWriter longest;
  longest.WriteBits(0, 31);
  longest.WriteBit(true);
  longest.WriteBits(0x7FFFFFFF, 31);
  BitReader unsignedReader(longest.Bytes());
  CHECK(unsignedReader.ReadUnsignedExpGolomb() == 0xFFFFFFFEu);
  CHECK(unsignedReader.Ok());
  BitReader signedReader(longest.Bytes());
  CHECK(signedReader.ReadSignedExpGolomb() == -0x7FFFFFFF);

  BitWriter largestPositive;  // codeNum 2^32 - 3 -> +(2^31 - 1)
  largestPositive.WriteUnsignedExpGolomb(0xFFFFFFFDu);
  BitReader positiveReader(largestPositive.Bytes());
  CHECK(positiveReader.ReadSignedExpGolomb() == 0x7FFFFFFF);
  CHECK(positiveReader.Ok());

  BitWriter tooLong;  // 32 leading zeros cannot be represented
  tooLong.WriteBits(0, 32);
  tooLong.WriteBit(true);
  tooLong.WriteBits(0, 32);
  BitReader tooLongReader(tooLong.Bytes());
  CHECK(tooLongReader.ReadUnsignedExpGolomb() == 0);
  CHECK_FALSE(tooLongReader.Ok());
}

TEST_CASE("BitReader failures are sticky and consume nothing", "[BitReader]") {
  const auto bytes = Hex("ff 80");
  SECTION("fixed-width read past the end") {
    BitReader reader(bytes);
    CHECK(reader.ReadBits(12) == 0xFF8);
    CHECK(reader.ReadBits(5) == 0);
    CHECK_FALSE(reader.Ok());
    CHECK(reader.RemainingBits() == 0);
    // Four bits were left, but a failed reader reads nothing more.
    CHECK(reader.ReadBits(1) == 0);
    CHECK_FALSE(reader.ReadFlag());
    CHECK(reader.ReadUnsignedExpGolomb() == 0);
    CHECK(reader.ReadSignedExpGolomb() == 0);
    CHECK_FALSE(reader.Ok());
  }
  SECTION("more than 32 bits at once") {
    const auto eight = Hex("ff ff ff ff ff ff ff ff");
    BitReader reader(eight);
    CHECK(reader.ReadBits(33) == 0);
    CHECK_FALSE(reader.Ok());
  }
  SECTION("skip past the end") {
    BitReader reader(bytes);
    reader.SkipBits(17);
    CHECK_FALSE(reader.Ok());
  }
  SECTION("Exp-Golomb prefix runs off the end") {
    const auto zeros = Hex("00 00");
    BitReader reader(zeros);
    CHECK(reader.ReadUnsignedExpGolomb() == 0);
    CHECK_FALSE(reader.Ok());
  }
  SECTION("Exp-Golomb suffix runs off the end") {
    const auto truncated = Bits("0000 0001 011");  // 7 zeros, marker, 3 of 7 suffix bits
    BitReader reader(std::span<const uint8_t>(truncated).first(1));
    CHECK(reader.ReadUnsignedExpGolomb() == 0);
    CHECK_FALSE(reader.Ok());
  }
  SECTION("empty input") {
    BitReader reader(std::span<const uint8_t>{});
    CHECK(reader.RemainingBits() == 0);
    CHECK(reader.ReadBits(0) == 0);
    CHECK(reader.Ok());
    CHECK_FALSE(reader.ReadFlag());
    CHECK_FALSE(reader.Ok());
  }
}

TEST_CASE("BitReader reads back what an independent writer wrote", "[BitReader]") {
  std::mt19937 random(20240604);
  for (int round = 0; round < 200; ++round) {
    struct Field {
      int kind;  // 0 fixed, 1 ue, 2 se
      int width;
      int64_t value;
    };
    std::vector<Field> fields;
    BitWriter writer;
    const int count = 1 + static_cast<int>(random() % 40);
    for (int i = 0; i < count; ++i) {
      Field field{static_cast<int>(random() % 3), 1 + static_cast<int>(random() % 32), 0};
      // Mostly small values, sometimes anything: both are common in real bitstreams.
      const uint32_t raw = static_cast<uint32_t>(random());
      const uint32_t magnitude = (random() % 4 == 0) ? raw : raw % 300;
      if (field.kind == 0) {
        field.value = field.width == 32 ? raw : raw & ((1u << field.width) - 1);
        writer.WriteBits(static_cast<uint64_t>(field.value), field.width);
      } else if (field.kind == 1) {
        field.value = magnitude == 0xFFFFFFFFu ? 0 : magnitude;
        writer.WriteUnsignedExpGolomb(static_cast<uint32_t>(field.value));
      } else {
        const int32_t v = static_cast<int32_t>(magnitude & 0x7FFFFFFF);
        field.value = (random() % 2 == 0) ? v : -int64_t{v};
        writer.WriteSignedExpGolomb(static_cast<int32_t>(field.value));
      }
      fields.push_back(field);
    }
    BitReader reader(writer.Bytes());
    for (const Field& field : fields) {
      INFO("round " << round << " kind " << field.kind << " value " << field.value);
      if (field.kind == 0) {
        REQUIRE(reader.ReadBits(static_cast<size_t>(field.width)) == field.value);
      } else if (field.kind == 1) {
        REQUIRE(reader.ReadUnsignedExpGolomb() == field.value);
      } else {
        REQUIRE(reader.ReadSignedExpGolomb() == field.value);
      }
    }
    CHECK(reader.Ok());
    CHECK(reader.RemainingBits() == writer.Bytes().size() * 8 - writer.BitCount());
  }
}
