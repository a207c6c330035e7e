#include "rtp/H264SequenceParameterSet.h"

#include <array>

#include "rtp/BitReader.h"

namespace myriad::rtp {

namespace {

// Value ranges from H.264 section 7.4.2.1.1.
constexpr uint32_t kMaxSpsId = 31;
constexpr uint32_t kMaxChromaFormatIdc = 3;
constexpr uint32_t kMaxBitDepthMinus8 = 6;
constexpr uint32_t kMaxLog2Minus4 = 12;  // log2_max_frame_num and log2_max_pic_order_cnt_lsb
constexpr uint32_t kMaxPicOrderCntType = 2;
constexpr uint32_t kMaxRefFramesInPicOrderCntCycle = 255;
constexpr uint32_t kMaxNumRefFrames = 16;  // MaxDpbFrames never exceeds 16 (A.3.1 item h)
constexpr int32_t kMinDeltaScale = -128;
constexpr int32_t kMaxDeltaScale = 127;

// H.264 7.3.2.1.1: only these profiles carry chroma_format_idc, bit depths and scaling lists.
bool HasChromaFormatFields(uint8_t profileIdc) {
  switch (profileIdc) {
    case 100:  // High
    case 110:  // High 10
    case 122:  // High 4:2:2
    case 244:  // High 4:4:4 Predictive
    case 44:   // CAVLC 4:4:4 Intra
    case 83:   // Scalable Baseline (Annex G)
    case 86:   // Scalable High
    case 118:  // Multiview High (Annex H)
    case 128:  // Stereo High
    case 138:  // Multiview Depth High (Annex I)
    case 139:  // Enhanced Multiview Depth High (Annex J)
    case 134:  // MFC High
    case 135:  // MFC Depth High
      return true;
    default:
      return false;
  }
}

// H.264 7.3.1: inside a NAL unit every 0x000003 stands for 0x0000 (the 03 is an
// emulation_prevention_three_byte). Copies the RBSP into `rbsp` and returns its size, or
// nullopt when it does not fit.
std::optional<size_t> RemoveEmulationPrevention(std::span<const uint8_t> nalPayload,
                                                std::span<uint8_t> rbsp) {
  size_t size = 0;
  size_t zeros = 0;
  for (const uint8_t byte : nalPayload) {
    if (zeros >= 2 && byte == 0x03) {
      zeros = 0;
      continue;
    }
    if (size == rbsp.size()) return std::nullopt;
    rbsp[size++] = byte;
    zeros = byte == 0 ? zeros + 1 : 0;
  }
  return size;
}

// H.264 7.3.2.1.1.1 scaling_list(): only walked so that the fields after it can be read.
bool SkipScalingList(BitReader& reader, int sizeOfScalingList) {
  int32_t lastScale = 8;
  int32_t nextScale = 8;
  for (int j = 0; j < sizeOfScalingList && nextScale != 0; ++j) {
    const int32_t deltaScale = reader.ReadSignedExpGolomb();
    if (!reader.Ok() || deltaScale < kMinDeltaScale || deltaScale > kMaxDeltaScale) return false;
    nextScale = (lastScale + deltaScale + 256) % 256;
    // A zero nextScale on the first entry selects the default matrix and ends the list; later
    // entries repeat lastScale to the end, so nothing more is coded either way.
    if (nextScale != 0) lastScale = nextScale;
  }
  return true;
}

}  // namespace

std::optional<H264SequenceParameterSet> H264SequenceParameterSet::Parse(
    std::span<const uint8_t> nalPayload) {
  std::array<uint8_t, kMaxRbspSize> rbspBuffer;  // only the first *rbspSize bytes are read
  const std::optional<size_t> rbspSize = RemoveEmulationPrevention(nalPayload, rbspBuffer);
  if (!rbspSize) return std::nullopt;
  BitReader reader(std::span<const uint8_t>(rbspBuffer.data(), *rbspSize));

  H264SequenceParameterSet sps;
  // profile_idc u(8), constraint_set0..5_flag + reserved_zero_2bits u(8), level_idc u(8).
  sps.profileIdc_ = static_cast<uint8_t>(reader.ReadBits(8));
  reader.SkipBits(8);
  sps.levelIdc_ = static_cast<uint8_t>(reader.ReadBits(8));
  sps.spsId_ = reader.ReadUnsignedExpGolomb();
  if (!reader.Ok() || sps.spsId_ > kMaxSpsId) return std::nullopt;

  // 7.4.2.1.1: chroma_format_idc is inferred to be 1 (4:2:0) when absent.
  bool separateColourPlane = false;
  if (HasChromaFormatFields(sps.profileIdc_)) {
    sps.chromaFormatIdc_ = reader.ReadUnsignedExpGolomb();
    if (!reader.Ok() || sps.chromaFormatIdc_ > kMaxChromaFormatIdc) return std::nullopt;
    if (sps.chromaFormatIdc_ == 3) separateColourPlane = reader.ReadFlag();
    const uint32_t bitDepthLumaMinus8 = reader.ReadUnsignedExpGolomb();
    const uint32_t bitDepthChromaMinus8 = reader.ReadUnsignedExpGolomb();
    reader.SkipBits(1);  // qpprime_y_zero_transform_bypass_flag
    const bool scalingMatrixPresent = reader.ReadFlag();
    if (!reader.Ok() || bitDepthLumaMinus8 > kMaxBitDepthMinus8 ||
        bitDepthChromaMinus8 > kMaxBitDepthMinus8) {
      return std::nullopt;
    }
    if (scalingMatrixPresent) {
      // Six 4x4 lists, then two 8x8 lists (six for 4:4:4).
      const int listCount = sps.chromaFormatIdc_ != 3 ? 8 : 12;
      for (int i = 0; i < listCount; ++i) {
        const bool listPresent = reader.ReadFlag();
        if (listPresent && !SkipScalingList(reader, i < 6 ? 16 : 64)) return std::nullopt;
      }
      if (!reader.Ok()) return std::nullopt;
    }
  }

  const uint32_t log2MaxFrameNumMinus4 = reader.ReadUnsignedExpGolomb();
  const uint32_t picOrderCntType = reader.ReadUnsignedExpGolomb();
  if (!reader.Ok() || log2MaxFrameNumMinus4 > kMaxLog2Minus4 ||
      picOrderCntType > kMaxPicOrderCntType) {
    return std::nullopt;
  }
  if (picOrderCntType == 0) {
    const uint32_t log2MaxPicOrderCntLsbMinus4 = reader.ReadUnsignedExpGolomb();
    if (!reader.Ok() || log2MaxPicOrderCntLsbMinus4 > kMaxLog2Minus4) return std::nullopt;
  } else if (picOrderCntType == 1) {
    reader.SkipBits(1);            // delta_pic_order_always_zero_flag
    reader.ReadSignedExpGolomb();  // offset_for_non_ref_pic
    reader.ReadSignedExpGolomb();  // offset_for_top_to_bottom_field
    const uint32_t cycleLength = reader.ReadUnsignedExpGolomb();
    if (!reader.Ok() || cycleLength > kMaxRefFramesInPicOrderCntCycle) return std::nullopt;
    for (uint32_t i = 0; i < cycleLength && reader.Ok(); ++i) {
      reader.ReadSignedExpGolomb();  // offset_for_ref_frame[i]
    }
  }
  // Type 2 has no further fields.

  const uint32_t maxNumRefFrames = reader.ReadUnsignedExpGolomb();
  reader.SkipBits(1);  // gaps_in_frame_num_value_allowed_flag
  const uint64_t picWidthInMbs = uint64_t{reader.ReadUnsignedExpGolomb()} + 1;
  const uint64_t picHeightInMapUnits = uint64_t{reader.ReadUnsignedExpGolomb()} + 1;
  sps.frameMbsOnly_ = reader.ReadFlag();
  if (!sps.frameMbsOnly_) reader.SkipBits(1);  // mb_adaptive_frame_field_flag
  reader.SkipBits(1);                          // direct_8x8_inference_flag
  uint64_t cropLeft = 0;
  uint64_t cropRight = 0;
  uint64_t cropTop = 0;
  uint64_t cropBottom = 0;
  if (reader.ReadFlag()) {  // frame_cropping_flag
    cropLeft = reader.ReadUnsignedExpGolomb();
    cropRight = reader.ReadUnsignedExpGolomb();
    cropTop = reader.ReadUnsignedExpGolomb();
    cropBottom = reader.ReadUnsignedExpGolomb();
  }
  reader.SkipBits(1);  // vui_parameters_present_flag: the last field we need to be present
  if (!reader.Ok() || maxNumRefFrames > kMaxNumRefFrames) return std::nullopt;

  // 7.4.2.1.1, equations 7-19 to 7-22. ChromaArrayType is 0 for monochrome and for 4:4:4
  // coded as separate planes; otherwise the crop unit is the chroma subsampling (SubWidthC,
  // SubHeightC from Table 6-1), doubled vertically when the SPS allows field coding.
  const uint64_t fieldFactor = sps.frameMbsOnly_ ? 1 : 2;
  const uint32_t chromaArrayType = separateColourPlane ? 0 : sps.chromaFormatIdc_;
  uint64_t cropUnitX = 1;
  uint64_t cropUnitY = fieldFactor;
  if (chromaArrayType == 1) {
    cropUnitX = 2;
    cropUnitY = 2 * fieldFactor;
  } else if (chromaArrayType == 2) {
    cropUnitX = 2;
  }
  // Equation 7-18: FrameHeightInMbs = (2 - frame_mbs_only_flag) * PicHeightInMapUnits.
  // The Exp-Golomb values are below 2^32, so none of this comes near overflowing 64 bits.
  const uint64_t codedWidth = picWidthInMbs * 16;
  const uint64_t codedHeight = fieldFactor * picHeightInMapUnits * 16;
  const uint64_t cropX = cropUnitX * (cropLeft + cropRight);
  const uint64_t cropY = cropUnitY * (cropTop + cropBottom);
  if (cropX >= codedWidth || cropY >= codedHeight) return std::nullopt;
  const uint64_t width = codedWidth - cropX;
  const uint64_t height = codedHeight - cropY;
  if (width > kMaxDimension || height > kMaxDimension) return std::nullopt;
  sps.width_ = static_cast<uint32_t>(width);
  sps.height_ = static_cast<uint32_t>(height);
  return sps;
}

}  // namespace myriad::rtp
