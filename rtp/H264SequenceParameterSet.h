#pragma once

// The fields of an H.264 sequence parameter set (ITU-T H.264 section 7.3.2.1.1) that a
// forwarding server needs: the coded picture's displayed size after cropping, profile, level
// and id. Simulcast encodings announce their real resolution here; the SDP and RID only name
// them.
//
// Parse reads up to and including vui_parameters_present_flag and ignores the VUI and trailing
// bits. It works on a fixed-size stack copy with the emulation-prevention bytes removed, so it
// never allocates, and it rejects any value outside the range H.264 section 7.4.2.1.1 allows
// for a field it has to read through.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace myriad::rtp {

class H264SequenceParameterSet {
 public:
  // RBSP bytes (after removing emulation prevention) that Parse can hold. Real SPSs are
  // 10..60 bytes; explicit scaling lists for 4:4:4 can reach a few hundred.
  static constexpr size_t kMaxRbspSize = 512;
  // Largest accepted cropped width or height, in luma samples. The highest level (6.2, H.264
  // Annex A) is sized for 8192x4320 pictures; a side beyond 16384 means a corrupt SPS.
  static constexpr uint32_t kMaxDimension = 16384;

  // `nalPayload` is the NAL unit without its one-byte header (H.264 7.3.1), as
  // H264PayloadInfo::Sps() returns it, still containing emulation-prevention bytes. Returns
  // nullopt when the SPS is truncated, longer than kMaxRbspSize, or has out-of-range values.
  static std::optional<H264SequenceParameterSet> Parse(std::span<const uint8_t> nalPayload);

  // Size of the decoded frame after the SPS's frame cropping (H.264 7.4.2.1.1, equations 7-19
  // to 7-22), in luma samples. For field-coded streams this is the frame, not one field.
  uint32_t Width() const { return width_; }
  uint32_t Height() const { return height_; }
  uint8_t ProfileIdc() const { return profileIdc_; }
  uint8_t LevelIdc() const { return levelIdc_; }
  // seq_parameter_set_id, 0..31.
  uint32_t SpsId() const { return spsId_; }
  // 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4; 1 when the profile does not carry it.
  uint32_t ChromaFormatIdc() const { return chromaFormatIdc_; }
  bool FrameMbsOnly() const { return frameMbsOnly_; }

 private:
  H264SequenceParameterSet() = default;

  uint32_t width_ = 0;
  uint32_t height_ = 0;
  uint8_t profileIdc_ = 0;
  uint8_t levelIdc_ = 0;
  uint32_t spsId_ = 0;
  uint32_t chromaFormatIdc_ = 1;
  bool frameMbsOnly_ = true;
};

}  // namespace myriad::rtp
