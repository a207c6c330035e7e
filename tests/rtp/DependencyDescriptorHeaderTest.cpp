#include <array>
#include <catch2/catch.hpp>
#include <vector>

#include "rtp/DependencyDescriptorHeader.h"

using myriad::rtp::DependencyDescriptorHeader;

TEST_CASE("DependencyDescriptorHeader: parse, check, serialize, compare",
          "[DependencyDescriptorHeader]") {
  // S=1 E=0 template 5, frame 0x1234, then one byte of extended fields.
  const std::vector<uint8_t> element = {0x85, 0x12, 0x34, 0x80};
  const auto parsed = DependencyDescriptorHeader::Parse(element);
  REQUIRE(parsed);
  CHECK(parsed->StartOfFrame());
  CHECK_FALSE(parsed->EndOfFrame());
  CHECK(parsed->TemplateId() == 5);
  CHECK(parsed->FrameNumber() == 0x1234);
  CHECK(parsed->HasExtendedFields());
  std::array<uint8_t, 3> out{};
  REQUIRE(DependencyDescriptorHeader::Serialize(parsed->ToFields(), out) == 3);
  CHECK(std::vector<uint8_t>(out.begin(), out.end()) ==
        std::vector<uint8_t>(element.begin(), element.begin() + 3));
}

TEST_CASE("DependencyDescriptorHeader: table of fields round trip",
          "[DependencyDescriptorHeader]") {
  using Fields = DependencyDescriptorHeader::Fields;
  for (const Fields& fields : {Fields{false, false, 0, 0}, Fields{true, true, 63, 0xFFFF},
                               Fields{false, true, 1, 0x8000}, Fields{true, false, 32, 1}}) {
    std::array<uint8_t, 3> out{};
    REQUIRE(DependencyDescriptorHeader::Serialize(fields, out) == 3);
    const auto parsed = DependencyDescriptorHeader::Parse(out);
    REQUIRE(parsed);
    CHECK(parsed->ToFields() == fields);
    CHECK_FALSE(parsed->HasExtendedFields());
  }
}

TEST_CASE("DependencyDescriptorHeader: malformed input", "[DependencyDescriptorHeader]") {
  const std::array<uint8_t, 2> shortElement = {0x80, 0x01};
  CHECK_FALSE(DependencyDescriptorHeader::Parse(shortElement));
  CHECK_FALSE(DependencyDescriptorHeader::Parse({}));
  std::array<uint8_t, 2> small{};
  CHECK(DependencyDescriptorHeader::Serialize({true, true, 1, 2}, small) == 0);
  std::array<uint8_t, 3> out{};
  CHECK(DependencyDescriptorHeader::Serialize({true, true, 64, 2}, out) == 0);  // 7-bit template
}
