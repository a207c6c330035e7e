// The load generator's payload record: what a receiver learns from any
// packet, and nothing from a packet that is not one.

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "loadtest/client/LoadtestPayload.h"

namespace myriad::loadtest {
namespace {

std::vector<uint8_t> Serialized(const LoadtestPayload& record, size_t filler = 0) {
  std::vector<uint8_t> bytes(LoadtestPayload::kSize + filler, 0xEE);
  REQUIRE(record.Serialize(bytes) == LoadtestPayload::kSize);
  return bytes;
}

}  // namespace

TEST_CASE("LoadtestPayload round-trips every field, filler after it ignored", "[loadtest]") {
  const auto [record, filler] =
      GENERATE(std::make_pair(LoadtestPayload{0, 0, 0, 0}, size_t{0}),
               std::make_pair(LoadtestPayload{0, 7, 5'000'000, 4'000'000}, size_t{56}),
               std::make_pair(LoadtestPayload{3, 0xFFFFFFFF, INT64_MAX, INT64_MAX}, size_t{1}),
               std::make_pair(LoadtestPayload{255, 123456, 987654321, 0}, size_t{1000}));
  const auto bytes = Serialized(record, filler);
  const auto parsed = LoadtestPayload::Parse(bytes);
  REQUIRE(parsed.has_value());
  CHECK(*parsed == record);
}

TEST_CASE("LoadtestPayload is big endian after the magic and version", "[loadtest]") {
  const auto bytes = Serialized(LoadtestPayload{2, 0x01020304, 0x0A0B0C0D0E0F1011, 0x1213});
  const std::vector<uint8_t> expected = {0x4D, 0x4C, 0x01, 0x02, 0x01, 0x02, 0x03, 0x04,
                                         0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11,
                                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x13};
  CHECK(bytes == expected);
}

TEST_CASE("LoadtestPayload::Parse rejects what is not a valid record", "[loadtest]") {
  const auto valid = Serialized(LoadtestPayload{0, 9, 2'000'000, 1'000'000});
  REQUIRE(LoadtestPayload::Parse(valid).has_value());
  SECTION("too short") {
    for (size_t size = 0; size < LoadtestPayload::kSize; ++size) {
      CHECK_FALSE(LoadtestPayload::Parse(std::span<const uint8_t>(valid.data(), size)));
    }
  }
  SECTION("wrong magic or version") {
    for (const size_t index : {size_t{0}, size_t{1}, size_t{2}}) {
      auto bytes = valid;
      bytes[index] ^= 0x01;
      CHECK_FALSE(LoadtestPayload::Parse(bytes));
    }
  }
  SECTION("a send time beyond int64") {
    auto bytes = valid;
    bytes[8] = 0x80;
    CHECK_FALSE(LoadtestPayload::Parse(bytes));
  }
  SECTION("a talk spurt starting after the packet was sent") {
    const auto bytes = [] {
      std::vector<uint8_t> raw = {0x4D, 0x4C, 0x01, 0x00, 0, 0, 0, 1};
      for (const uint64_t value : {uint64_t{1000}, uint64_t{1001}}) {
        for (int shift = 56; shift >= 0; shift -= 8) {
          raw.push_back(static_cast<uint8_t>(value >> shift));
        }
      }
      return raw;
    }();
    CHECK_FALSE(LoadtestPayload::Parse(bytes));
  }
  SECTION("seeded random bytes") {
    // Random payloads (what SyntheticMediaSource sends without a record)
    // never pass: the odds of matching magic and version are 2^-24.
    uint32_t state = 12345;
    size_t accepted = 0;
    for (int i = 0; i < 10000; ++i) {
      std::array<uint8_t, 40> bytes{};
      for (auto& byte : bytes) {
        state = state * 1664525u + 1013904223u;
        byte = static_cast<uint8_t>(state >> 24);
      }
      accepted += LoadtestPayload::Parse(bytes).has_value() ? 1 : 0;
    }
    CHECK(accepted == 0);
  }
}

TEST_CASE("LoadtestPayload::Serialize refuses short buffers and impossible times", "[loadtest]") {
  std::array<uint8_t, LoadtestPayload::kSize> buffer{};
  CHECK(LoadtestPayload{0, 1, 10, 0}.Serialize(std::span<uint8_t>(buffer.data(), 23)) == 0);
  CHECK(LoadtestPayload{0, 1, -1, 0}.Serialize(buffer) == 0);
  CHECK(LoadtestPayload{0, 1, 10, -5}.Serialize(buffer) == 0);
  CHECK(LoadtestPayload{0, 1, 10, 11}.Serialize(buffer) == 0);
  CHECK(LoadtestPayload{0, 1, 10, 10}.Serialize(buffer) == LoadtestPayload::kSize);
}

}  // namespace myriad::loadtest
