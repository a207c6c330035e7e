#include <catch2/catch.hpp>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "rtp/H264PayloadInfo.h"
#include "rtp/H264SequenceParameterSet.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;
using myriad::rtp::test::ToVector;
using PacketType = H264PayloadInfo::PacketType;

namespace {

// OpenH264's SPS and PPS for 1280x720 as libwebrtc configures it (see
// H264SequenceParameterSetTest), with their NAL headers 0x67 and 0x68.
const char* kSps720 = "67 42 c0 1f 8c 8d 40 28 02 dd 00 f0 88 46 a0";  // 15 bytes
const char* kPps = "68 ce 3c 80";                                      // 4 bytes
// NAL unit header bytes: F(1) NRI(2) Type(5). 0x78 is STAP-A, 0x7c FU-A, both NRI 3.
// FU headers: S 0x80, E 0x40, then the fragmented unit's type.
// IDR slice data starting with bit 1 (first_mb_in_slice 0) or 0 (a later slice).

// Parses an exactly-sized heap copy, so ASan flags any read past the payload, and keeps the
// copy alive as long as the result's spans.
struct Parsed {
  explicit Parsed(const std::vector<uint8_t>& bytes)
      : copy(std::make_unique<std::vector<uint8_t>>(bytes)), info(H264PayloadInfo::Parse(*copy)) {}
  std::unique_ptr<std::vector<uint8_t>> copy;
  std::optional<H264PayloadInfo> info;
};

std::vector<uint8_t> Concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

std::string TypesOf(const H264PayloadInfo& info) {
  std::string types;
  for (int type = 0; type < 32; ++type) {
    if (!info.ContainsNalType(static_cast<uint8_t>(type))) continue;
    if (!types.empty()) types += ",";
    types += std::to_string(type);
  }
  return types;
}

}  // namespace

TEST_CASE("H264PayloadInfo decides key frame starts per packet", "[H264PayloadInfo]") {
  struct Row {
    const char* name;
    std::vector<uint8_t> payload;
    PacketType type;
    const char* nalTypes;
    bool sps;
    bool pps;
    bool idrSliceStart;
    bool idrPictureStart;
    bool keyFrameStart;
  };
  const std::vector<uint8_t> sps = Hex(kSps720);
  const std::vector<uint8_t> pps = Hex(kPps);
  const Row rows[] = {
      // Single NAL unit packets (RFC 6184 5.6).
      {"SPS", sps, PacketType::kSingleNalUnit, "7", true, false, false, false, true},
      {"PPS", pps, PacketType::kSingleNalUnit, "8", false, true, false, false, true},
      {"IDR, first slice", Hex("65 b8 00 04 ff"), PacketType::kSingleNalUnit, "5", false, false,
       true, true, true},
      {"IDR, later slice", Hex("65 40 12 34"), PacketType::kSingleNalUnit, "5", false, false, true,
       false, false},
      {"IDR, header only", Hex("65"), PacketType::kSingleNalUnit, "5", false, false, true, false,
       false},
      {"non-IDR slice", Hex("41 9a 00 11"), PacketType::kSingleNalUnit, "1", false, false, false,
       false, false},
      {"SEI", Hex("06 05 02 aa bb 80"), PacketType::kSingleNalUnit, "6", false, false, false, false,
       false},
      {"access unit delimiter", Hex("09 f0"), PacketType::kSingleNalUnit, "9", false, false, false,
       false, false},
      {"end of stream (header only)", Hex("0b"), PacketType::kSingleNalUnit, "11", false, false,
       false, false, false},
      // STAP-A (RFC 6184 5.7.1): libwebrtc sends SPS + PPS like this before every IDR.
      {"STAP-A SPS PPS", Concat({Hex("78 00 0f"), sps, Hex("00 04"), pps}), PacketType::kStapA,
       "7,8", true, true, false, false, true},
      {"STAP-A SPS PPS IDR",
       Concat({Hex("78 00 0f"), sps, Hex("00 04"), pps, Hex("00 03 65 b8 01")}), PacketType::kStapA,
       "5,7,8", true, true, true, true, true},
      {"STAP-A AUD SEI", Hex("78 00 02 09 f0 00 03 06 01 80"), PacketType::kStapA, "6,9", false,
       false, false, false, false},
      {"STAP-A SEI IDR", Hex("78 00 03 06 01 80 00 02 65 88"), PacketType::kStapA, "5,6", false,
       false, true, true, true},
      {"STAP-A two non-IDR slices", Hex("78 00 02 41 9a 00 02 41 9b"), PacketType::kStapA, "1",
       false, false, false, false, false},
      // FU-A (RFC 6184 5.8): only the first fragment starts anything.
      {"FU-A IDR first fragment", Hex("7c 85 b8 00 04"), PacketType::kFuA, "5", false, false, true,
       true, true},
      {"FU-A IDR first fragment, later slice", Hex("7c 85 40 00"), PacketType::kFuA, "5", false,
       false, true, false, false},
      {"FU-A IDR first fragment, empty", Hex("7c 85"), PacketType::kFuA, "5", false, false, true,
       false, false},
      {"FU-A IDR middle fragment", Hex("7c 05 b8 00"), PacketType::kFuA, "5", false, false, false,
       false, false},
      {"FU-A IDR last fragment", Hex("7c 45 b8 00"), PacketType::kFuA, "5", false, false, false,
       false, false},
      {"FU-A SPS first fragment", Hex("7c 87 42 c0 1f"), PacketType::kFuA, "7", true, false, false,
       false, true},
      {"FU-A SPS last fragment", Hex("7c 47 88 46 a0"), PacketType::kFuA, "7", false, false, false,
       false, false},
      {"FU-A PPS first fragment", Hex("7c 88 ce"), PacketType::kFuA, "8", false, true, false, false,
       true},
      {"FU-A non-IDR first fragment", Hex("5c 81 9a 00"), PacketType::kFuA, "1", false, false,
       false, false, false},
      {"FU-A reserved R bit is ignored", Hex("7c a5 b8"), PacketType::kFuA, "5", false, false, true,
       true, true},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    const Parsed parsed(row.payload);
    const auto& info = parsed.info;
    REQUIRE(info);
    CHECK(info->Type() == row.type);
    CHECK(TypesOf(*info) == row.nalTypes);
    CHECK(info->HasSps() == row.sps);
    CHECK(info->HasPps() == row.pps);
    CHECK(info->HasIdrSliceStart() == row.idrSliceStart);
    CHECK(info->HasIdrPictureStart() == row.idrPictureStart);
    CHECK(info->IsKeyFrameStart() == row.keyFrameStart);
    // Packetization types are never reported as carried NAL unit types.
    CHECK_FALSE(info->ContainsNalType(H264PayloadInfo::kNalTypeStapA));
    CHECK_FALSE(info->ContainsNalType(H264PayloadInfo::kNalTypeFuA));
    CHECK_FALSE(info->ContainsNalType(200));
  }
}

TEST_CASE("H264PayloadInfo rejects malformed and unsupported payloads", "[H264PayloadInfo]") {
  struct Row {
    const char* name;
    const char* hex;
  };
  const Row rows[] = {
      {"empty", ""},
      {"forbidden_zero_bit set", "e7 42 c0 1f"},
      {"forbidden_zero_bit set on a slice", "c1 9a"},
      {"type 0 (reserved)", "00 11 22"},
      {"type 30 (reserved)", "1e 00"},
      {"type 31 (reserved)", "1f"},
      {"STAP-B (interleaved mode only)", "19 00 01 00 02 09 f0"},
      {"MTAP16 (interleaved mode only)", "1a 00 01 00 02 00 00 00 09 f0"},
      {"MTAP24 (interleaved mode only)", "1b 00 01 00 02 00 00 00 00 09 f0"},
      {"FU-B (interleaved mode only)", "1d 85 00 01 b8"},
      {"STAP-A without NAL units", "78"},
      {"STAP-A NALU size 0", "78 00 00"},
      {"STAP-A NALU size 0 after a unit", "78 00 02 09 f0 00 00"},
      {"STAP-A NALU size overruns by one", "78 00 05 67 42 c0 1f"},
      {"STAP-A NALU size 0xffff", "78 ff ff 09 f0"},
      {"STAP-A second unit overruns", "78 00 02 09 f0 00 05 68 ce"},
      {"STAP-A half a size field at the end", "78 00 02 09 f0 00"},
      {"STAP-A size field only", "78 00 02"},
      {"STAP-A unit with forbidden_zero_bit", "78 00 02 89 f0"},
      {"STAP-A containing a STAP-A", "78 00 04 78 00 01 09"},
      {"STAP-A containing an FU-A", "78 00 03 7c 85 b8"},
      {"STAP-A containing type 0", "78 00 01 00"},
      {"STAP-A with forbidden_zero_bit", "f8 00 02 09 f0"},
      {"FU-A without FU header", "7c"},
      {"FU-A with S and E set", "7c c5 b8 00"},
      {"FU-A with forbidden_zero_bit", "fc 85 b8"},
      {"FU-A fragmenting type 0", "7c 80 00"},
      {"FU-A fragmenting a STAP-A", "7c 98 00"},
      {"FU-A fragmenting an FU-A", "7c 9c 00"},
      {"FU-A fragmenting type 31", "7c 9f 00"},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    CHECK_FALSE(Parsed(Hex(row.hex)).info);
  }
}

TEST_CASE("H264PayloadInfo points at the first complete SPS", "[H264PayloadInfo]") {
  const std::vector<uint8_t> sps = Hex(kSps720);
  const std::vector<uint8_t> spsBody(sps.begin() + 1, sps.end());

  SECTION("single NAL unit packet") {
    const auto info = H264PayloadInfo::Parse(sps);
    REQUIRE(info);
    CHECK(info->Sps().data() == sps.data() + 1);
    CHECK(ToVector(info->Sps()) == spsBody);
    const auto parsed = H264SequenceParameterSet::Parse(info->Sps());
    REQUIRE(parsed);
    CHECK(parsed->Width() == 1280);
    CHECK(parsed->Height() == 720);
  }
  SECTION("STAP-A of SPS and PPS, as libwebrtc sends it") {
    const auto payload = Concat({Hex("78 00 0f"), sps, Hex("00 04"), Hex(kPps)});
    const auto info = H264PayloadInfo::Parse(payload);
    REQUIRE(info);
    CHECK(info->Sps().data() == payload.data() + 4);
    CHECK(ToVector(info->Sps()) == spsBody);
    const auto parsed = H264SequenceParameterSet::Parse(info->Sps());
    REQUIRE(parsed);
    CHECK(parsed->Width() == 1280);
    CHECK(parsed->Height() == 720);
  }
  SECTION("the first of two SPSs") {
    const auto payload = Concat({Hex("78 00 03 67 64 00"), Hex("00 0f"), sps});
    const auto info = H264PayloadInfo::Parse(payload);
    REQUIRE(info);
    CHECK(ToVector(info->Sps()) == Hex("64 00"));
  }
  SECTION("an SPS NAL unit with no payload is present but empty") {
    const Parsed parsed(Hex("67"));
    const auto& info = parsed.info;
    REQUIRE(info);
    CHECK(info->HasSps());
    CHECK(info->Sps().empty());
  }
  SECTION("none without an SPS, and none from a fragment") {
    const Parsed pps(Concat({Hex("78 00 04"), Hex(kPps), Hex("00 02 65 b8")}));
    REQUIRE(pps.info);
    CHECK(pps.info->Sps().empty());
    const Parsed fragment(Concat({Hex("7c 87"), spsBody}));
    REQUIRE(fragment.info);
    CHECK(fragment.info->HasSps());
    CHECK(fragment.info->Sps().empty());
  }
}

TEST_CASE("H264PayloadInfo survives every truncation", "[H264PayloadInfo]") {
  const std::vector<uint8_t> payloads[] = {
      Concat({Hex("78 00 0f"), Hex(kSps720), Hex("00 04"), Hex(kPps), Hex("00 03 65 b8 01")}),
      Hex("7c 85 b8 00 04 ff"),
      Hex(kSps720),
  };
  for (const auto& full : payloads) {
    const Parsed whole(full);
    REQUIRE(whole.info);
    for (size_t size = 0; size < full.size(); ++size) {
      INFO("truncated to " << size << " of " << full.size());
      const Parsed prefix(std::vector<uint8_t>(full.begin(), full.begin() + size));
      if (!prefix.info) continue;
      // A prefix that ends on a unit boundary is a valid shorter packet; it never reports a
      // type the whole packet does not have, and its SPS lies inside the prefix.
      CHECK((prefix.info->NalTypes() & ~whole.info->NalTypes()).none());
      const uint8_t* begin = prefix.copy->data();
      CHECK((prefix.info->Sps().empty() ||
             (prefix.info->Sps().data() >= begin &&
              prefix.info->Sps().data() + prefix.info->Sps().size() <= begin + size)));
    }
  }
  // A STAP-A cut inside its first unit, or right after a size field, is malformed.
  const auto stapA = Concat({Hex("78 00 0f"), Hex(kSps720)});
  for (size_t size = 1; size < stapA.size(); ++size) {
    INFO("STAP-A truncated to " << size);
    CHECK_FALSE(Parsed(std::vector<uint8_t>(stapA.begin(), stapA.begin() + size)).info);
  }
}
