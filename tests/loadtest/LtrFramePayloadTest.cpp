// The frame record of the LTR video sender: what a decoder model learns from
// any packet, and nothing from one that is not one or breaks its rules.

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "loadtest/client/LtrFramePayload.h"

namespace myriad::loadtest {
namespace {

using FrameType = LtrFramePayload::FrameType;

std::vector<uint8_t> Serialized(const LtrFramePayload& record, size_t filler = 0) {
  std::vector<uint8_t> bytes(LtrFramePayload::kSize + filler, 0xEE);
  REQUIRE(record.Serialize(bytes) == LtrFramePayload::kSize);
  return bytes;
}

}  // namespace

TEST_CASE("LtrFramePayload round-trips every field, filler after it ignored", "[loadtest][ltr]") {
  const auto record = GENERATE(LtrFramePayload{FrameType::kKey, true, 7, 7, 0, 10, 0},
                               LtrFramePayload{FrameType::kDelta, false, 0, 0xFFFF, 1, 2, 123},
                               LtrFramePayload{FrameType::kDelta, true, 300, 299, 1, 2, INT64_MAX},
                               LtrFramePayload{FrameType::kRecovery, false, 5, 0xFFF0, 63, 64, 9});
  const auto bytes = Serialized(record, 40);
  const auto parsed = LtrFramePayload::Parse(bytes);
  REQUIRE(parsed.has_value());
  CHECK(*parsed == record);
}

TEST_CASE("LtrFramePayload is big endian with the reference flag in the top bit",
          "[loadtest][ltr]") {
  const auto bytes =
      Serialized(LtrFramePayload{FrameType::kRecovery, true, 0x0102, 0x0304, 5, 6, 0x0A0B});
  const std::vector<uint8_t> expected = {0x4D, 0x46, 0x01, 0x82, 0x01, 0x02, 0x03,
                                         0x04, 0x00, 0x05, 0x00, 0x06, 0x00, 0x00,
                                         0x00, 0x00, 0x00, 0x00, 0x0A, 0x0B};
  CHECK(bytes == expected);
}

TEST_CASE("LtrFramePayload refuses what breaks its rules", "[loadtest][ltr]") {
  const LtrFramePayload valid{FrameType::kDelta, false, 10, 9, 0, 2, 1000};
  struct Case {
    const char* what;
    size_t byte;
    uint8_t value;
  };
  const auto broken =
      GENERATE(Case{"magic", 0, 0x00}, Case{"magic", 1, 0x4C}, Case{"version", 2, 0x02},
               Case{"unknown type", 3, 0x03}, Case{"reserved bit", 3, 0x41},
               Case{"index past count", 9, 0x02}, Case{"zero packets", 11, 0x00},
               Case{"too many packets", 10, 0x01}, Case{"negative send time", 12, 0x80});
  INFO(broken.what);
  auto bytes = Serialized(valid);
  REQUIRE(LtrFramePayload::Parse(bytes).has_value());
  bytes[broken.byte] = broken.value;
  CHECK_FALSE(LtrFramePayload::Parse(bytes).has_value());
}

TEST_CASE("LtrFramePayload needs the whole record and a key frame references nothing",
          "[loadtest][ltr]") {
  const auto bytes = Serialized(LtrFramePayload{FrameType::kDelta, false, 10, 9, 0, 2, 1000});
  CHECK_FALSE(
      LtrFramePayload::Parse(std::span<const uint8_t>(bytes).first(LtrFramePayload::kSize - 1)));
  std::vector<uint8_t> out(LtrFramePayload::kSize);
  CHECK(LtrFramePayload{FrameType::kKey, true, 10, 9, 0, 1, 0}.Serialize(out) == 0);
  CHECK(LtrFramePayload{FrameType::kDelta, false, 10, 9, 2, 2, 0}.Serialize(out) == 0);
  CHECK(LtrFramePayload{FrameType::kDelta, false, 10, 9, 0, 2, -1}.Serialize(out) == 0);
  CHECK(LtrFramePayload{FrameType::kDelta, false, 10, 9, 0, 2, 0}.Serialize(
            std::span<uint8_t>(out).first(LtrFramePayload::kSize - 1)) == 0);
}

}  // namespace myriad::loadtest
