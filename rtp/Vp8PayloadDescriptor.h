#pragma once

// Non-owning, mutable view over an RTP payload that starts with the VP8 payload descriptor
// (RFC 7741 section 4.2). Parse validates every length once; accessors afterwards read without
// re-checking. The setters rewrite fields in place and never change the descriptor's size, so a
// forwarded packet can be patched inside its send buffer.
//
//        0 1 2 3 4 5 6 7
//       +-+-+-+-+-+-+-+-+
//       |X|R|N|S|R| PID | (REQUIRED)
//       +-+-+-+-+-+-+-+-+
//  X:   |I|L|T|K| RSV   | (OPTIONAL)
//       +-+-+-+-+-+-+-+-+
//  I:   |M| PictureID   | (OPTIONAL, second PictureID octet when M = 1)
//       +-+-+-+-+-+-+-+-+
//  L:   |   TL0PICIDX   | (OPTIONAL)
//       +-+-+-+-+-+-+-+-+
//  T/K: |TID|Y| KEYIDX  | (OPTIONAL)
//       +-+-+-+-+-+-+-+-+

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace myriad::rtp {

class Vp8PayloadDescriptor {
 public:
  // Mandatory octet, X octet, two PictureID octets, TL0PICIDX, TID/Y/KEYIDX.
  static constexpr size_t kMaxSize = 6;
  static constexpr uint8_t kMaxPartitionIndex = 7;
  static constexpr uint16_t kMaxPictureId7Bit = 0x7F;
  static constexpr uint16_t kMaxPictureId15Bit = 0x7FFF;
  static constexpr uint8_t kMaxTid = 3;
  static constexpr uint8_t kMaxKeyIdx = 31;

  // Everything the descriptor says; absent fields are zero/false (as Parse reports them).
  struct Fields {
    bool nonReference = false;      // N
    bool startOfPartition = false;  // S
    uint8_t partitionIndex = 0;     // PID, 0..7
    bool hasPictureId = false;      // I
    bool pictureIdIs15Bit = false;  // M
    uint16_t pictureId = 0;         // 0..127, or 0..32767 with M
    bool hasTl0PicIdx = false;      // L
    uint8_t tl0PicIdx = 0;
    bool hasTid = false;     // T
    uint8_t tid = 0;         // 0..3
    bool layerSync = false;  // Y
    bool hasKeyIdx = false;  // K
    uint8_t keyIdx = 0;      // 0..31
    friend bool operator==(const Fields&, const Fields&) = default;
  };

  // nullopt unless `payload` holds a complete descriptor followed by at least one octet of VP8
  // payload. Reserved bits (R, RSV) are ignored as RFC 7741 4.2 asks of receivers, and so are
  // TID/Y when T is 0 and KEYIDX when K is 0 (both share the T/K octet).
  static std::optional<Vp8PayloadDescriptor> Parse(std::span<uint8_t> payload);

  // Writes the descriptor (not the VP8 payload) with reserved bits zero and returns its size;
  // the X octet is written only when one of I, L, T, K is set. 0 if `out` is too small or a
  // present field is out of range.
  static size_t Serialize(const Fields& fields, std::span<uint8_t> out);
  static size_t SerializedSize(const Fields& fields);

  bool HasExtension() const { return (data_[0] & 0x80) != 0; }      // X
  bool NonReference() const { return (data_[0] & 0x20) != 0; }      // N
  bool StartOfPartition() const { return (data_[0] & 0x10) != 0; }  // S
  uint8_t PartitionIndex() const { return data_[0] & kMaxPartitionIndex; }

  bool HasPictureId() const { return pictureIdOffset_ != 0; }
  bool PictureIdIs15Bit() const;  // false when absent
  uint16_t PictureId() const;     // 0 when absent
  bool HasTl0PicIdx() const { return tl0PicIdxOffset_ != 0; }
  uint8_t Tl0PicIdx() const;  // 0 when absent
  bool HasTid() const;
  uint8_t Tid() const;     // 0 when absent
  bool LayerSync() const;  // false when TID is absent
  bool HasKeyIdx() const;
  uint8_t KeyIdx() const;  // 0 when absent

  Fields ToFields() const;

  // True for the first packet of a key frame: start of partition 0 (where RFC 7741 4.3 puts the
  // VP8 payload header) and the header's P bit, the inverse key frame flag (RFC 6386 9.1), is 0.
  bool IsKeyFrame() const;

  size_t DescriptorSize() const { return size_; }
  std::span<uint8_t> Payload() const { return data_.subspan(size_); }  // never empty
  std::span<uint8_t> Data() const { return data_; }

  // In place, in the width the field already has: the value is stored modulo 2^15 or 2^7.
  // No-op when the packet carries no PictureID.
  void SetPictureId(uint16_t pictureId);
  // No-op when the packet carries no TL0PICIDX.
  void SetTl0PicIdx(uint8_t tl0PicIdx);

 private:
  Vp8PayloadDescriptor(std::span<uint8_t> data, uint8_t size, uint8_t pictureIdOffset,
                       uint8_t tl0PicIdxOffset, uint8_t tidKeyIdxOffset)
      : data_(data),
        size_(size),
        pictureIdOffset_(pictureIdOffset),
        tl0PicIdxOffset_(tl0PicIdxOffset),
        tidKeyIdxOffset_(tidKeyIdxOffset) {}

  uint8_t ExtensionOctet() const { return HasExtension() ? data_[1] : 0; }

  std::span<uint8_t> data_;
  uint8_t size_ = 0;
  // Offsets of the optional octets inside data_; 0 (the mandatory octet) means absent.
  uint8_t pictureIdOffset_ = 0;
  uint8_t tl0PicIdxOffset_ = 0;
  uint8_t tidKeyIdxOffset_ = 0;
};

}  // namespace myriad::rtp
