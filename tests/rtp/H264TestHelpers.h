#pragma once

// Builds H.264 bitstreams for the H.264 tests, written from the standard independently of the
// parsers under test: an MSB-first bit writer with Exp-Golomb codes (H.264 9.1), emulation
// prevention (7.4.1) and a sequence parameter set writer (7.3.2.1.1) driven by field values.

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

namespace myriad::rtp::test {

class BitWriter {
 public:
  void WriteBits(uint64_t value, int count) {
    for (int i = count - 1; i >= 0; --i) WriteBit(((value >> i) & 1) != 0);
  }
  void WriteBit(bool bit) {
    if (bitCount_ % 8 == 0) bytes_.push_back(0);
    if (bit) bytes_.back() |= static_cast<uint8_t>(0x80 >> (bitCount_ % 8));
    ++bitCount_;
  }
  // ue(v): codeNum + 1 in binary, preceded by one zero per bit after its leading one.
  void WriteUnsignedExpGolomb(uint32_t value) {
    const uint64_t codePlusOne = uint64_t{value} + 1;
    int bits = 0;
    while ((codePlusOne >> bits) > 1) ++bits;
    WriteBits(0, bits);
    WriteBits(codePlusOne, bits + 1);
  }
  // se(v): positive v -> 2v - 1, non-positive v -> -2v (Table 9-3).
  void WriteSignedExpGolomb(int32_t value) {
    const int64_t v = value;
    WriteUnsignedExpGolomb(static_cast<uint32_t>(v > 0 ? 2 * v - 1 : -2 * v));
  }
  // rbsp_trailing_bits() (7.3.2.11): a one, then zeros to the byte boundary.
  void WriteTrailingBits() {
    WriteBit(true);
    while (bitCount_ % 8 != 0) WriteBit(false);
  }
  const std::vector<uint8_t>& Bytes() const { return bytes_; }
  size_t BitCount() const { return bitCount_; }

 private:
  std::vector<uint8_t> bytes_;
  size_t bitCount_ = 0;
};

// 7.4.1: inside a NAL unit, 0x0000 followed by 0x00..0x03 gets an 0x03 in between.
inline std::vector<uint8_t> AddEmulationPrevention(const std::vector<uint8_t>& rbsp) {
  std::vector<uint8_t> out;
  int zeros = 0;
  for (uint8_t byte : rbsp) {
    if (zeros >= 2 && byte <= 0x03) {
      out.push_back(0x03);
      zeros = 0;
    }
    out.push_back(byte);
    zeros = byte == 0 ? zeros + 1 : 0;
  }
  return out;
}

// One field per syntax element of seq_parameter_set_data() up to the VUI flag.
struct SpsFields {
  uint8_t profileIdc = 66;
  uint8_t constraintFlags = 0xC0;  // constraint_set0/1: constrained baseline
  uint8_t levelIdc = 31;
  uint32_t spsId = 0;
  // Written only for the profiles that carry them (see H264SequenceParameterSet).
  uint32_t chromaFormatIdc = 1;
  bool separateColourPlane = false;
  uint32_t bitDepthLumaMinus8 = 0;
  uint32_t bitDepthChromaMinus8 = 0;
  bool scalingMatrixPresent = false;
  // One entry per list (8, or 12 for 4:4:4): empty = seq_scaling_list_present_flag 0,
  // otherwise the delta_scale values to write.
  std::vector<std::vector<int32_t>> scalingLists;
  uint32_t log2MaxFrameNumMinus4 = 11;
  uint32_t picOrderCntType = 0;
  uint32_t log2MaxPicOrderCntLsbMinus4 = 12;
  bool deltaPicOrderAlwaysZero = false;
  int32_t offsetForNonRefPic = 0;
  int32_t offsetForTopToBottomField = 0;
  std::vector<int32_t> offsetForRefFrame;
  uint32_t maxNumRefFrames = 1;
  bool gapsInFrameNumAllowed = false;
  uint32_t picWidthInMbsMinus1 = 79;
  uint32_t picHeightInMapUnitsMinus1 = 44;
  bool frameMbsOnly = true;
  bool mbAdaptiveFrameField = false;
  bool direct8x8Inference = true;
  bool frameCropping = false;
  uint32_t cropLeft = 0;
  uint32_t cropRight = 0;
  uint32_t cropTop = 0;
  uint32_t cropBottom = 0;
  bool vuiPresent = false;
};

inline bool ProfileHasChromaFields(uint8_t profileIdc) {
  for (int p : {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}) {
    if (p == profileIdc) return true;
  }
  return false;
}

// The SPS RBSP (no NAL header, no emulation prevention), ending with rbsp_trailing_bits.
inline std::vector<uint8_t> BuildSpsRbsp(const SpsFields& f) {
  BitWriter w;
  w.WriteBits(f.profileIdc, 8);
  w.WriteBits(f.constraintFlags, 8);
  w.WriteBits(f.levelIdc, 8);
  w.WriteUnsignedExpGolomb(f.spsId);
  if (ProfileHasChromaFields(f.profileIdc)) {
    w.WriteUnsignedExpGolomb(f.chromaFormatIdc);
    if (f.chromaFormatIdc == 3) w.WriteBit(f.separateColourPlane);
    w.WriteUnsignedExpGolomb(f.bitDepthLumaMinus8);
    w.WriteUnsignedExpGolomb(f.bitDepthChromaMinus8);
    w.WriteBit(false);  // qpprime_y_zero_transform_bypass_flag
    w.WriteBit(f.scalingMatrixPresent);
    if (f.scalingMatrixPresent) {
      const size_t lists = f.chromaFormatIdc != 3 ? 8 : 12;
      REQUIRE(f.scalingLists.size() == lists);
      for (const std::vector<int32_t>& deltas : f.scalingLists) {
        w.WriteBit(!deltas.empty());
        for (int32_t delta : deltas) w.WriteSignedExpGolomb(delta);
      }
    }
  }
  w.WriteUnsignedExpGolomb(f.log2MaxFrameNumMinus4);
  w.WriteUnsignedExpGolomb(f.picOrderCntType);
  if (f.picOrderCntType == 0) {
    w.WriteUnsignedExpGolomb(f.log2MaxPicOrderCntLsbMinus4);
  } else if (f.picOrderCntType == 1) {
    w.WriteBit(f.deltaPicOrderAlwaysZero);
    w.WriteSignedExpGolomb(f.offsetForNonRefPic);
    w.WriteSignedExpGolomb(f.offsetForTopToBottomField);
    w.WriteUnsignedExpGolomb(static_cast<uint32_t>(f.offsetForRefFrame.size()));
    for (int32_t offset : f.offsetForRefFrame) w.WriteSignedExpGolomb(offset);
  }
  w.WriteUnsignedExpGolomb(f.maxNumRefFrames);
  w.WriteBit(f.gapsInFrameNumAllowed);
  w.WriteUnsignedExpGolomb(f.picWidthInMbsMinus1);
  w.WriteUnsignedExpGolomb(f.picHeightInMapUnitsMinus1);
  w.WriteBit(f.frameMbsOnly);
  if (!f.frameMbsOnly) w.WriteBit(f.mbAdaptiveFrameField);
  w.WriteBit(f.direct8x8Inference);
  w.WriteBit(f.frameCropping);
  if (f.frameCropping) {
    w.WriteUnsignedExpGolomb(f.cropLeft);
    w.WriteUnsignedExpGolomb(f.cropRight);
    w.WriteUnsignedExpGolomb(f.cropTop);
    w.WriteUnsignedExpGolomb(f.cropBottom);
  }
  w.WriteBit(f.vuiPresent);
  w.WriteTrailingBits();
  return w.Bytes();
}

// The SPS NAL unit payload as it travels (after the 0x67 header byte).
inline std::vector<uint8_t> BuildSps(const SpsFields& fields) {
  return AddEmulationPrevention(BuildSpsRbsp(fields));
}

}  // namespace myriad::rtp::test
