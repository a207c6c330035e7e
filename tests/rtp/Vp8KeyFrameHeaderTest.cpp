#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "rtp/Vp8KeyFrameHeader.h"
#include "rtp/Vp8PayloadDescriptor.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;

namespace {

// RFC 6386 9.1, written out by hand. Frame tag (little-endian 24 bits):
//   key_frame 0, version 0, show_frame 1, first_part_size 4660 (0x1234)
//   = 4660 << 5 | 1 << 4 = 0x024690 -> 90 46 02
// start code 9d 01 2a, width 1280 = 0x0500 -> 00 05, height 720 = 0x02d0 -> d0 02,
// then the start of the compressed first partition.
const char* k1280x720 = "90 46 02  9d 01 2a  00 05  d0 02  00 00 12";

// key_frame 0, version 1, show_frame 0, first_part_size 100:
//   100 << 5 | 1 << 1 = 0x000c82 -> 82 0c 00
// width 320 = 0x0140 -> 40 01, height 180 = 0x00b4 -> b4 00.
const char* k320x180 = "82 0c 00  9d 01 2a  40 01  b4 00";

}  // namespace

TEST_CASE("Vp8KeyFrameHeader reads a 1280x720 key frame", "[Vp8KeyFrameHeader]") {
  const auto bytes = Hex(k1280x720);
  auto header = Vp8KeyFrameHeader::Parse(bytes);
  REQUIRE(header);
  CHECK(header->Width() == 1280);
  CHECK(header->Height() == 720);
  CHECK(header->HorizontalScale() == 0);
  CHECK(header->VerticalScale() == 0);
  CHECK(header->Version() == 0);
  CHECK(header->ShowFrame());
  CHECK(header->FirstPartitionSize() == 4660);
}

TEST_CASE("Vp8KeyFrameHeader reads a 320x180 key frame of exactly the header's size",
          "[Vp8KeyFrameHeader]") {
  const auto bytes = Hex(k320x180);
  REQUIRE(bytes.size() == Vp8KeyFrameHeader::kSize);
  auto header = Vp8KeyFrameHeader::Parse(bytes);
  REQUIRE(header);
  CHECK(header->Width() == 320);
  CHECK(header->Height() == 180);
  CHECK(header->Version() == 1);
  CHECK_FALSE(header->ShowFrame());
  CHECK(header->FirstPartitionSize() == 100);
}

TEST_CASE("Vp8KeyFrameHeader separates the scale bits from the size", "[Vp8KeyFrameHeader]") {
  // 320 with horizontal_scale 2 (0x8140), 180 with vertical_scale 3 (0xc0b4), and the largest
  // first_part_size (2^19 - 1) with version 7 and show_frame: tag 0xfffffe.
  auto bytes = Hex("fe ff ff  9d 01 2a  40 81  b4 c0");
  auto header = Vp8KeyFrameHeader::Parse(bytes);
  REQUIRE(header);
  CHECK(header->Width() == 320);
  CHECK(header->HorizontalScale() == 2);
  CHECK(header->Height() == 180);
  CHECK(header->VerticalScale() == 3);
  CHECK(header->Version() == 7);
  CHECK(header->ShowFrame());
  CHECK(header->FirstPartitionSize() == 0x7FFFF);
  // The largest size the 14-bit fields hold.
  bytes = Hex("10 00 00  9d 01 2a  ff 3f  ff 3f");
  header = Vp8KeyFrameHeader::Parse(bytes);
  REQUIRE(header);
  CHECK(header->Width() == 16383);
  CHECK(header->Height() == 16383);
}

TEST_CASE("Vp8KeyFrameHeader rejects what is not a key frame header", "[Vp8KeyFrameHeader]") {
  SECTION("every truncation") {
    myriad::rtp::test::RequireEveryTruncationRejected<Vp8KeyFrameHeader>(Hex(k320x180));
  }
  SECTION("an interframe") {
    auto bytes = Hex(k1280x720);
    bytes[0] |= 0x01;
    CHECK_FALSE(Vp8KeyFrameHeader::Parse(bytes));
  }
  SECTION("a wrong start code") {
    for (size_t i = 3; i < 6; ++i) {
      auto bytes = Hex(k1280x720);
      bytes[i] ^= 0x01;
      INFO("start code byte " << i);
      CHECK_FALSE(Vp8KeyFrameHeader::Parse(bytes));
    }
  }
  SECTION("a zero width or height") {
    CHECK_FALSE(Vp8KeyFrameHeader::Parse(Hex("90 46 02  9d 01 2a  00 40  d0 02")));
    CHECK_FALSE(Vp8KeyFrameHeader::Parse(Hex("90 46 02  9d 01 2a  00 05  00 c0")));
  }
}

TEST_CASE("Vp8KeyFrameHeader reads the size from a key frame's first RTP payload",
          "[Vp8KeyFrameHeader]") {
  // Descriptor as Chrome sends it (S, PID 0, 15-bit PictureID, TL0PICIDX, TID) + 1280x720.
  auto payload = Hex(std::string("90 e0 9f 5c 17 20 ") + k1280x720);
  auto descriptor = Vp8PayloadDescriptor::Parse(payload);
  REQUIRE(descriptor);
  REQUIRE(descriptor->IsKeyFrame());
  auto header = Vp8KeyFrameHeader::Parse(descriptor->Payload());
  REQUIRE(header);
  CHECK(header->Width() == 1280);
  CHECK(header->Height() == 720);

  // The second packet of the same frame (S = 0) starts mid-partition: no header there.
  auto second = Hex("80 e0 9f 5c 17 20  00 00 12 34 56 78 9a bc de f0");
  descriptor = Vp8PayloadDescriptor::Parse(second);
  REQUIRE(descriptor);
  CHECK_FALSE(descriptor->IsKeyFrame());
}
