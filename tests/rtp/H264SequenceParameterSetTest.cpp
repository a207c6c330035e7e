#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <vector>

#include "rtp/H264SequenceParameterSet.h"
#include "tests/rtp/H264TestHelpers.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::BuildSps;
using myriad::rtp::test::BuildSpsRbsp;
using myriad::rtp::test::Hex;
using myriad::rtp::test::SpsFields;

namespace {

struct RealSps {
  const char* name;
  const char* hex;  // NAL unit payload, after the 0x67 header byte
  uint32_t width;
  uint32_t height;
  uint8_t profileIdc;
  uint8_t levelIdc;
  uint32_t chromaFormatIdc;
  bool frameMbsOnly;
};

// Captured from the encoders themselves (Debian's libopenh264 2.3.1 and libx264 164), each
// encoding one frame of the named size; the notes give the fields as an independent decoder
// script read them.
const RealSps kRealSps[] = {
    // OpenH264 configured like libwebrtc's H264EncoderImpl (camera real-time usage, one slice):
    // profile-level-id 42c01f, 80x45 macroblocks, no cropping, poc type 0, VUI present.
    {"OpenH264 1280x720 constrained baseline", "42 c0 1f 8c 8d 40 28 02 dd 00 f0 88 46 a0", 1280,
     720, 66, 31, 1, true},
    // 120x68 macroblocks = 1920x1088, frame_crop_bottom_offset 4 (x2 for 4:2:0) -> 1080.
    {"OpenH264 1920x1080 constrained baseline", "42 c0 28 8c 8d 40 3c 01 13 f2 c0 3c 22 11 a8",
     1920, 1080, 66, 40, 1, true},
    // 40x23 macroblocks = 640x368, crop bottom 4 -> 360.
    {"OpenH264 640x360 constrained baseline", "42 c0 1e 8c 8d 40 50 17 fc b0 0f 08 84 6a", 640, 360,
     66, 30, 1, true},
    // 20x12 macroblocks = 320x192, crop bottom 6 -> 180.
    {"OpenH264 320x180 constrained baseline", "42 c0 14 8c 8d 40 a0 cb cf 00 f0 88 46 a0", 320, 180,
     66, 20, 1, true},
    // x264 baseline: pic_order_cnt_type 2, crop bottom 4; 00 00 03 in the VUI.
    {"x264 640x360 constrained baseline",
     "42 c0 1e d9 00 a0 2f f9 61 00 00 03 00 01 00 00 03 00 32 0f 16 2e 48", 640, 360, 66, 30, 1,
     true},
    // High: chroma_format_idc 1, bit depths 8, seq_scaling_matrix_present_flag 0. The VUI's
    // timing info contains two emulation-prevention bytes.
    {"x264 1280x720 High",
     "64 00 1f ac d9 40 50 05 ba 10 00 00 03 00 10 00 00 03 03 20 f1 83 19 60", 1280, 720, 100, 31,
     1, true},
    {"x264 1920x1080 High",
     "64 00 28 ac d9 40 78 02 27 e5 84 00 00 03 00 04 00 00 03 00 c8 3c 60 c6 58", 1920, 1080, 100,
     40, 1, true},
    // Interlaced: frame_mbs_only_flag 0, 120x34 map units = 68 macroblock rows; the crop unit
    // is 2 x 2 = 4 rows, crop bottom 2 -> 1088 - 8.
    {"x264 1920x1080 High interlaced",
     "64 00 28 ac d9 40 78 04 4f dc 20 00 00 03 00 20 00 00 06 43 e2 c5 b2 c0", 1920, 1080, 100, 40,
     1, false},
    // 4:4:4 (profile 244, chroma_format_idc 3): crop unit 1, crop bottom 8.
    {"x264 640x360 High 4:4:4",
     "f4 00 1e 91 9b 28 14 05 ff 13 08 00 00 03 00 08 00 00 03 01 90 78 b1 6c b0", 640, 360, 244,
     30, 3, true},
    // 4:2:2 (profile 122, chroma_format_idc 2): crop unit 2 across, 1 down; crop bottom 8.
    {"x264 640x360 High 4:2:2",
     "7a 00 1e bc d9 40 a0 2f f8 98 40 00 00 03 00 40 00 00 0c 83 c5 8b 65 80", 640, 360, 122, 30,
     2, true},
    // Main: 54x30 macroblocks, crop right 5 (x2) -> 854.
    {"x264 854x480 Main", "4d 40 1e ec a0 6c 1e f3 70 80 00 00 03 00 80 00 00 19 07 8b 16 cb", 854,
     480, 77, 30, 1, true},
    // Odd size: crop right 1 and bottom 5 (x2), log2_max_frame_num 5, 16 reference frames.
    {"x264 1918x1078 High",
     "64 00 33 ac 4c 22 03 c0 11 3d 4d 08 00 00 03 00 08 00 00 03 01 90 78 c1 90 8c", 1918, 1078,
     100, 51, 1, true},
};

// Picture size from the field values, by H.264 7.4.2.1.1 (equations 7-13 to 7-22, Table 6-1).
struct Size {
  int64_t width;
  int64_t height;
};
Size ExpectedSize(const SpsFields& f) {
  const bool chromaFields = myriad::rtp::test::ProfileHasChromaFields(f.profileIdc);
  const uint32_t chromaFormat = chromaFields ? f.chromaFormatIdc : 1;
  const bool separatePlanes = chromaFormat == 3 && f.separateColourPlane;
  const uint32_t chromaArrayType = separatePlanes ? 0 : chromaFormat;
  int64_t subWidthC = 1;
  int64_t subHeightC = 1;
  if (chromaArrayType == 1) subWidthC = subHeightC = 2;
  if (chromaArrayType == 2) subWidthC = 2;
  const int64_t frameMbsOnly = f.frameMbsOnly ? 1 : 0;
  const int64_t cropUnitX = chromaArrayType == 0 ? 1 : subWidthC;
  const int64_t cropUnitY =
      chromaArrayType == 0 ? 2 - frameMbsOnly : subHeightC * (2 - frameMbsOnly);
  const int64_t frameHeightInMbs = (2 - frameMbsOnly) * (int64_t{f.picHeightInMapUnitsMinus1} + 1);
  int64_t width = (int64_t{f.picWidthInMbsMinus1} + 1) * 16;
  int64_t height = frameHeightInMbs * 16;
  if (f.frameCropping) {
    width -= cropUnitX * (int64_t{f.cropLeft} + f.cropRight);
    height -= cropUnitY * (int64_t{f.cropTop} + f.cropBottom);
  }
  return {width, height};
}

std::vector<std::vector<int32_t>> NoScalingLists(size_t count) {
  return std::vector<std::vector<int32_t>>(count);
}

bool ContainsEmulationPrevention(const std::vector<uint8_t>& bytes, size_t limit) {
  for (size_t i = 2; i < std::min(bytes.size(), limit); ++i) {
    if (bytes[i - 2] == 0 && bytes[i - 1] == 0 && bytes[i] == 3) return true;
  }
  return false;
}

std::optional<H264SequenceParameterSet> ParseExact(const std::vector<uint8_t>& bytes) {
  // An exactly-sized copy so ASan flags reads past the end.
  std::vector<uint8_t> copy(bytes);
  return H264SequenceParameterSet::Parse(copy);
}

}  // namespace

TEST_CASE("H264SequenceParameterSet reads the size of real encoder SPSs",
          "[H264SequenceParameterSet]") {
  for (const RealSps& real : kRealSps) {
    INFO(real.name);
    const auto sps = ParseExact(Hex(real.hex));
    REQUIRE(sps);
    CHECK(sps->Width() == real.width);
    CHECK(sps->Height() == real.height);
    CHECK(sps->ProfileIdc() == real.profileIdc);
    CHECK(sps->LevelIdc() == real.levelIdc);
    CHECK(sps->SpsId() == 0);
    CHECK(sps->ChromaFormatIdc() == real.chromaFormatIdc);
    CHECK(sps->FrameMbsOnly() == real.frameMbsOnly);
  }
}

TEST_CASE("H264SequenceParameterSet survives every truncation of a real SPS",
          "[H264SequenceParameterSet]") {
  for (const RealSps& real : kRealSps) {
    const auto full = Hex(real.hex);
    for (size_t size = 0; size < full.size(); ++size) {
      INFO(real.name << " truncated to " << size);
      const std::vector<uint8_t> prefix(full.begin(), full.begin() + size);
      const auto sps = ParseExact(prefix);
      // The parser stops at vui_parameters_present_flag, so a prefix that still holds it parses
      // to the same picture; anything shorter is rejected.
      if (sps) {
        CHECK(sps->Width() == real.width);
        CHECK(sps->Height() == real.height);
      }
    }
    CHECK_FALSE(ParseExact(std::vector<uint8_t>(full.begin(), full.begin() + 4)));
  }
}

TEST_CASE("H264SequenceParameterSet removes emulation prevention inside the fields it reads",
          "[H264SequenceParameterSet]") {
  // offset_for_non_ref_pic = 2^30 is se(v) code 2^31 - 1: 31 leading zero bits, which always
  // span three whole zero bytes, so the writer must insert 00 00 03 before the picture size.
  SpsFields f;
  f.picOrderCntType = 1;
  f.offsetForNonRefPic = 1 << 30;
  f.offsetForTopToBottomField = -5;
  f.offsetForRefFrame = {1, -1, 1 << 20};
  f.picWidthInMbsMinus1 = 39;        // 640
  f.picHeightInMapUnitsMinus1 = 22;  // 368
  f.frameCropping = true;
  f.cropBottom = 4;  // -> 360
  const auto rbsp = BuildSpsRbsp(f);
  const auto escaped = BuildSps(f);
  REQUIRE(escaped.size() > rbsp.size());
  REQUIRE(ContainsEmulationPrevention(escaped, 12));

  const auto sps = ParseExact(escaped);
  REQUIRE(sps);
  CHECK(sps->Width() == 640);
  CHECK(sps->Height() == 360);
}

TEST_CASE("H264SequenceParameterSet recovers the fields it was built from",
          "[H264SequenceParameterSet]") {
  struct Case {
    const char* name;
    SpsFields fields;
  };
  std::vector<Case> cases;
  auto add = [&](const char* name, auto&& change) {
    SpsFields f;
    change(f);
    cases.push_back({name, f});
  };
  add("baseline 1280x720 as libwebrtc sends it", [](SpsFields&) {});
  add("1920x1080: 68 macroblock rows, crop 8", [](SpsFields& f) {
    f.picWidthInMbsMinus1 = 119;
    f.picHeightInMapUnitsMinus1 = 67;
    f.frameCropping = true;
    f.cropBottom = 4;
  });
  add("640x360 with crop on all four sides", [](SpsFields& f) {
    f.picWidthInMbsMinus1 = 40;
    f.picHeightInMapUnitsMinus1 = 23;
    f.frameCropping = true;
    f.cropLeft = 3;
    f.cropRight = 5;
    f.cropTop = 2;
    f.cropBottom = 2;
  });
  add("High, chroma 4:2:0, no scaling matrix, id 31", [](SpsFields& f) {
    f.profileIdc = 100;
    f.constraintFlags = 0;
    f.levelIdc = 42;
    f.spsId = 31;
  });
  add("High 10 with bit depths 2", [](SpsFields& f) {
    f.profileIdc = 110;
    f.bitDepthLumaMinus8 = 2;
    f.bitDepthChromaMinus8 = 2;
  });
  add("High with scaling lists: defaults, short and full lists", [](SpsFields& f) {
    f.profileIdc = 100;
    f.scalingMatrixPresent = true;
    f.scalingLists = NoScalingLists(8);
    f.scalingLists[0] = {-8};                         // nextScale 0 at j = 0: use the default list
    f.scalingLists[2] = {2, 3, -1, -12};              // 10, 13, 12, then nextScale 0 ends the list
    f.scalingLists[6] = std::vector<int32_t>(64, 1);  // all 64 entries coded
    f.scalingLists[7] = std::vector<int32_t>(64, 0);  // flat list: deltas of 0
    f.scalingLists[7][10] = 127;
    f.scalingLists[7][11] = -128;
  });
  add("High 4:4:4 with 12 scaling lists", [](SpsFields& f) {
    f.profileIdc = 244;
    f.chromaFormatIdc = 3;
    f.scalingMatrixPresent = true;
    f.scalingLists = NoScalingLists(12);
    for (int j = 0; j < 64; ++j) f.scalingLists[11].push_back(j % 2 == 0 ? -1 : 1);  // 7, 8, ..
    f.frameCropping = true;
    f.cropRight = 7;  // crop unit 1 in 4:4:4
    f.cropBottom = 3;
  });
  add("4:4:4 coded as separate planes: ChromaArrayType 0", [](SpsFields& f) {
    f.profileIdc = 244;
    f.chromaFormatIdc = 3;
    f.separateColourPlane = true;
    f.frameCropping = true;
    f.cropLeft = 1;
    f.cropBottom = 3;
  });
  add("monochrome (chroma_format_idc 0), field coding", [](SpsFields& f) {
    f.profileIdc = 100;
    f.chromaFormatIdc = 0;
    f.frameMbsOnly = false;
    f.picHeightInMapUnitsMinus1 = 16;
    f.frameCropping = true;
    f.cropTop = 1;
    f.cropBottom = 3;
  });
  add("4:2:2 field coding with crop", [](SpsFields& f) {
    f.profileIdc = 122;
    f.chromaFormatIdc = 2;
    f.frameMbsOnly = false;
    f.mbAdaptiveFrameField = true;
    f.picHeightInMapUnitsMinus1 = 33;
    f.frameCropping = true;
    f.cropRight = 2;
    f.cropBottom = 2;
  });
  add("pic_order_cnt_type 1 with a 255-frame cycle", [](SpsFields& f) {
    f.picOrderCntType = 1;
    f.deltaPicOrderAlwaysZero = true;
    f.offsetForNonRefPic = -7;
    f.offsetForTopToBottomField = 3;
    for (int i = 0; i < 255; ++i) f.offsetForRefFrame.push_back(i % 2 == 0 ? i : -i);
  });
  add("pic_order_cnt_type 2, 16 reference frames, gaps allowed", [](SpsFields& f) {
    f.picOrderCntType = 2;
    f.maxNumRefFrames = 16;
    f.gapsInFrameNumAllowed = true;
  });
  add("log2 limits: frame_num and poc lsb 16 bits", [](SpsFields& f) {
    f.log2MaxFrameNumMinus4 = 12;
    f.log2MaxPicOrderCntLsbMinus4 = 12;
  });
  add("largest accepted size, 16384x16384", [](SpsFields& f) {
    f.picWidthInMbsMinus1 = 1023;
    f.picHeightInMapUnitsMinus1 = 1023;
  });
  add("smallest picture: one macroblock cropped to 2x2", [](SpsFields& f) {
    f.picWidthInMbsMinus1 = 0;
    f.picHeightInMapUnitsMinus1 = 0;
    f.frameCropping = true;
    f.cropLeft = 7;
    f.cropBottom = 7;
  });
  add("profile without chroma fields ignores chroma settings", [](SpsFields& f) {
    f.profileIdc = 88;  // Extended: chroma_format_idc not coded, inferred 4:2:0
    f.chromaFormatIdc = 3;
    f.frameCropping = true;
    f.cropRight = 1;
  });
  add("VUI flag set (the VUI itself is not read)", [](SpsFields& f) { f.vuiPresent = true; });

  for (const Case& c : cases) {
    INFO(c.name);
    const auto bytes = BuildSps(c.fields);
    const auto sps = ParseExact(bytes);
    REQUIRE(sps);
    const Size expected = ExpectedSize(c.fields);
    CHECK(sps->Width() == expected.width);
    CHECK(sps->Height() == expected.height);
    CHECK(sps->ProfileIdc() == c.fields.profileIdc);
    CHECK(sps->LevelIdc() == c.fields.levelIdc);
    CHECK(sps->SpsId() == c.fields.spsId);
    CHECK(sps->FrameMbsOnly() == c.fields.frameMbsOnly);
    const bool chromaFields = myriad::rtp::test::ProfileHasChromaFields(c.fields.profileIdc);
    CHECK(sps->ChromaFormatIdc() == (chromaFields ? c.fields.chromaFormatIdc : 1));
  }
}

TEST_CASE("H264SequenceParameterSet round-trips random valid SPSs", "[H264SequenceParameterSet]") {
  std::mt19937 random(6184);
  auto pick = [&](uint32_t bound) { return static_cast<uint32_t>(random() % bound); };
  const uint8_t profiles[] = {66, 77, 88,  100, 110, 122, 244, 44,
                              83, 86, 118, 128, 138, 139, 134, 135};
  for (int round = 0; round < 500; ++round) {
    SpsFields f;
    f.profileIdc = profiles[pick(sizeof(profiles))];
    f.constraintFlags = static_cast<uint8_t>(pick(256));
    f.levelIdc = static_cast<uint8_t>(pick(256));
    f.spsId = pick(32);
    f.chromaFormatIdc = pick(4);
    f.separateColourPlane = pick(2) == 1;
    f.bitDepthLumaMinus8 = pick(7);
    f.bitDepthChromaMinus8 = pick(7);
    f.scalingMatrixPresent = pick(3) == 0;
    f.scalingLists = NoScalingLists(f.chromaFormatIdc != 3 ? 8 : 12);
    for (size_t i = 0; i < f.scalingLists.size(); ++i) {
      if (pick(2) == 0) continue;
      // Deltas that never bring nextScale to 0, so the whole list is coded.
      int32_t last = 8;
      const size_t size = i < 6 ? 16 : 64;
      for (size_t j = 0; j < size; ++j) {
        const int32_t next = 1 + static_cast<int32_t>(pick(255));
        int32_t delta = next - last;
        if (delta > 127) delta -= 256;
        if (delta < -128) delta += 256;
        f.scalingLists[i].push_back(delta);
        last = next;
      }
    }
    f.log2MaxFrameNumMinus4 = pick(13);
    f.picOrderCntType = pick(3);
    f.log2MaxPicOrderCntLsbMinus4 = pick(13);
    f.offsetForNonRefPic = static_cast<int32_t>(random() >> 1) * (pick(2) == 0 ? 1 : -1);
    f.offsetForTopToBottomField = static_cast<int32_t>(pick(1000)) - 500;
    f.offsetForRefFrame.resize(pick(20));
    for (int32_t& offset : f.offsetForRefFrame) offset = static_cast<int32_t>(pick(2001)) - 1000;
    f.maxNumRefFrames = pick(17);
    f.picWidthInMbsMinus1 = pick(256);
    f.picHeightInMapUnitsMinus1 = pick(128);
    f.frameMbsOnly = pick(2) == 0;
    f.frameCropping = pick(2) == 0;
    f.cropLeft = pick(4);
    f.cropRight = pick(8);
    f.cropTop = pick(4);
    f.cropBottom = pick(8);
    f.vuiPresent = pick(2) == 0;
    const Size expected = ExpectedSize(f);
    if (expected.width <= 0 || expected.height <= 0 || expected.width > 16384 ||
        expected.height > 16384) {
      continue;
    }
    INFO("round " << round);
    const auto sps = ParseExact(BuildSps(f));
    if (BuildSpsRbsp(f).size() > H264SequenceParameterSet::kMaxRbspSize) {
      // Long random scaling lists can outgrow the parser's buffer.
      CHECK_FALSE(sps);
      continue;
    }
    REQUIRE(sps);
    CHECK(sps->Width() == expected.width);
    CHECK(sps->Height() == expected.height);
    CHECK(sps->ProfileIdc() == f.profileIdc);
    CHECK(sps->LevelIdc() == f.levelIdc);
    CHECK(sps->SpsId() == f.spsId);
  }
}

TEST_CASE("H264SequenceParameterSet rejects values outside the H.264 ranges",
          "[H264SequenceParameterSet]") {
  struct Case {
    const char* name;
    SpsFields fields;
  };
  std::vector<Case> cases;
  auto add = [&](const char* name, auto&& change) {
    SpsFields f;
    change(f);
    cases.push_back({name, f});
  };
  add("seq_parameter_set_id 32", [](SpsFields& f) { f.spsId = 32; });
  add("chroma_format_idc 4", [](SpsFields& f) {
    f.profileIdc = 100;
    f.chromaFormatIdc = 4;
  });
  add("bit_depth_luma_minus8 7", [](SpsFields& f) {
    f.profileIdc = 100;
    f.bitDepthLumaMinus8 = 7;
  });
  add("bit_depth_chroma_minus8 7", [](SpsFields& f) {
    f.profileIdc = 100;
    f.bitDepthChromaMinus8 = 7;
  });
  add("delta_scale 128", [](SpsFields& f) {
    f.profileIdc = 100;
    f.scalingMatrixPresent = true;
    f.scalingLists = NoScalingLists(8);
    f.scalingLists[3] = {128};
  });
  add("delta_scale -129", [](SpsFields& f) {
    f.profileIdc = 100;
    f.scalingMatrixPresent = true;
    f.scalingLists = NoScalingLists(8);
    f.scalingLists[6] = {1, -129};
  });
  add("log2_max_frame_num 17", [](SpsFields& f) { f.log2MaxFrameNumMinus4 = 13; });
  add("log2_max_pic_order_cnt_lsb 17", [](SpsFields& f) { f.log2MaxPicOrderCntLsbMinus4 = 13; });
  add("pic_order_cnt_type 3", [](SpsFields& f) { f.picOrderCntType = 3; });
  add("num_ref_frames_in_pic_order_cnt_cycle 256", [](SpsFields& f) {
    f.picOrderCntType = 1;
    f.offsetForRefFrame.assign(256, 0);
  });
  add("max_num_ref_frames 17", [](SpsFields& f) { f.maxNumRefFrames = 17; });
  add("width 16400", [](SpsFields& f) { f.picWidthInMbsMinus1 = 1024; });
  add("height 16400", [](SpsFields& f) { f.picHeightInMapUnitsMinus1 = 1024; });
  add("field-coded height 16416", [](SpsFields& f) {
    f.frameMbsOnly = false;
    f.picHeightInMapUnitsMinus1 = 512;
  });
  add("width ue(v) near 2^32", [](SpsFields& f) { f.picWidthInMbsMinus1 = 0xFFFFFFFEu; });
  add("crop leaves width 0", [](SpsFields& f) {
    f.frameCropping = true;
    f.cropLeft = 320;
    f.cropRight = 320;
  });
  add("crop beyond the height", [](SpsFields& f) {
    f.frameCropping = true;
    f.cropBottom = 0xFFFFFFFEu;
  });
  add("field-coded crop unit 4 takes all 32 rows", [](SpsFields& f) {
    f.frameMbsOnly = false;
    f.picHeightInMapUnitsMinus1 = 0;  // 2 macroblock rows = 32 lines
    f.frameCropping = true;
    f.cropBottom = 8;  // 8 x 4 = 32
  });

  for (const Case& c : cases) {
    INFO(c.name);
    CHECK_FALSE(ParseExact(BuildSps(c.fields)));
  }
}

TEST_CASE("H264SequenceParameterSet rejects Exp-Golomb codes longer than 32 bits",
          "[H264SequenceParameterSet]") {
  // profile 66, flags, level, then seq_parameter_set_id with 32 leading zeros.
  CHECK_FALSE(ParseExact(Hex("42 c0 1f 00 00 00 00 ff ff ff ff ff ff ff ff")));
  CHECK_FALSE(ParseExact({}));
}

TEST_CASE("H264SequenceParameterSet holds at most kMaxRbspSize bytes of RBSP",
          "[H264SequenceParameterSet]") {
  constexpr size_t kMax = H264SequenceParameterSet::kMaxRbspSize;
  SpsFields f;
  f.vuiPresent = true;
  std::vector<uint8_t> bytes = BuildSps(f);
  REQUIRE(bytes.size() < kMax);
  // Bytes after the VUI flag are not read, only copied: fill up to exactly the limit.
  bytes.resize(kMax, 0x55);
  CHECK(ParseExact(bytes));
  bytes.push_back(0x55);
  CHECK_FALSE(ParseExact(bytes));

  // The limit counts RBSP bytes: emulation-prevention bytes do not use it up.
  std::vector<uint8_t> escaped = BuildSps(f);
  while (escaped.size() + 4 <= kMax + 30) {
    escaped.insert(escaped.end(), {0x00, 0x00, 0x03, 0x01});
  }
  REQUIRE(escaped.size() > kMax);
  size_t threes = 0;
  for (size_t i = 2; i < escaped.size(); ++i) {
    if (escaped[i - 2] == 0 && escaped[i - 1] == 0 && escaped[i] == 3) ++threes;
  }
  REQUIRE(escaped.size() - threes <= kMax);
  CHECK(ParseExact(escaped));
}
