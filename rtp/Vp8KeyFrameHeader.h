#pragma once

// The uncompressed data chunk at the start of a VP8 key frame (RFC 6386 section 9.1): the
// 3-byte frame tag, the start code and the coded frame size. This is where the server learns a
// stream's real resolution; interframes carry no size.
//
//   frame tag, 24 bits little-endian:  key_frame (1, 0 = key frame) | version (3) |
//                                      show_frame (1) | first_part_size (19)
//   start code:                        9d 01 2a
//   16 bits little-endian:             width (14) | horizontal_scale (2)
//   16 bits little-endian:             height (14) | vertical_scale (2)

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace myriad::rtp {

class Vp8KeyFrameHeader {
 public:
  static constexpr size_t kSize = 10;

  // `vp8Payload` is the VP8 bitstream after the RTP payload descriptor, i.e. what
  // Vp8PayloadDescriptor::Payload() returns for the first packet of a frame. nullopt for an
  // interframe, fewer than kSize bytes, a wrong start code, or a zero width or height (a key
  // frame always codes a picture).
  static std::optional<Vp8KeyFrameHeader> Parse(std::span<const uint8_t> vp8Payload);

  // The coded size in pixels. The scale fields only ask the renderer to upscale (RFC 6386 9.1).
  uint16_t Width() const { return width_; }
  uint16_t Height() const { return height_; }
  uint8_t HorizontalScale() const { return horizontalScale_; }  // 0..3
  uint8_t VerticalScale() const { return verticalScale_; }      // 0..3
  uint8_t Version() const { return version_; }                  // 0..7, 0..3 defined
  bool ShowFrame() const { return showFrame_; }
  uint32_t FirstPartitionSize() const { return firstPartitionSize_; }  // 19 bits

 private:
  Vp8KeyFrameHeader() = default;

  uint16_t width_ = 0;
  uint16_t height_ = 0;
  uint8_t horizontalScale_ = 0;
  uint8_t verticalScale_ = 0;
  uint8_t version_ = 0;
  bool showFrame_ = false;
  uint32_t firstPartitionSize_ = 0;
};

}  // namespace myriad::rtp
