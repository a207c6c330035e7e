#include "rtp/Vp8PayloadDescriptor.h"

#include "rtp/BigEndian.h"

namespace myriad::rtp {

namespace {

// RFC 7741 4.2 bit positions.
constexpr uint8_t kXBit = 0x80;
constexpr uint8_t kNBit = 0x20;
constexpr uint8_t kSBit = 0x10;
constexpr uint8_t kIBit = 0x80;
constexpr uint8_t kLBit = 0x40;
constexpr uint8_t kTBit = 0x20;
constexpr uint8_t kKBit = 0x10;
constexpr uint8_t kMBit = 0x80;
constexpr uint8_t kYBit = 0x20;
constexpr uint8_t kKeyIdxMask = 0x1F;
constexpr int kTidShift = 6;

// RFC 7741 4.3 / RFC 6386 9.1: bit 0 of the first VP8 payload octet is P, 0 for key frames.
constexpr uint8_t kInverseKeyFrameBit = 0x01;

}  // namespace

std::optional<Vp8PayloadDescriptor> Vp8PayloadDescriptor::Parse(std::span<uint8_t> payload) {
  const size_t size = payload.size();
  if (size < 1) return std::nullopt;
  size_t pos = 1;
  uint8_t pictureIdOffset = 0;
  uint8_t tl0PicIdxOffset = 0;
  uint8_t tidKeyIdxOffset = 0;
  if ((payload[0] & kXBit) != 0) {
    // RFC 7741 4.2: with X set the extension octet MUST follow the mandatory one.
    if (pos >= size) return std::nullopt;
    const uint8_t extension = payload[pos++];
    if ((extension & kIBit) != 0) {
      if (pos >= size) return std::nullopt;
      pictureIdOffset = static_cast<uint8_t>(pos);
      // M set: the PictureID is 15 bits and takes a second octet.
      pos += (payload[pos] & kMBit) != 0 ? 2 : 1;
      if (pos > size) return std::nullopt;
    }
    if ((extension & kLBit) != 0) {
      // RFC 7741 4.2 pairs TL0PICIDX with TID, but the octet layout does not depend on T,
      // so L without T is accepted as a readable TL0PICIDX.
      if (pos >= size) return std::nullopt;
      tl0PicIdxOffset = static_cast<uint8_t>(pos++);
    }
    if ((extension & (kTBit | kKBit)) != 0) {
      // One shared TID/Y/KEYIDX octet when either T or K is set.
      if (pos >= size) return std::nullopt;
      tidKeyIdxOffset = static_cast<uint8_t>(pos++);
    }
  }
  // A descriptor must be followed by VP8 payload; one that fills the packet is malformed.
  if (pos >= size) return std::nullopt;
  return Vp8PayloadDescriptor(payload, static_cast<uint8_t>(pos), pictureIdOffset, tl0PicIdxOffset,
                              tidKeyIdxOffset);
}

size_t Vp8PayloadDescriptor::SerializedSize(const Fields& fields) {
  size_t size = 1;
  if (fields.hasPictureId || fields.hasTl0PicIdx || fields.hasTid || fields.hasKeyIdx) ++size;
  if (fields.hasPictureId) size += fields.pictureIdIs15Bit ? 2 : 1;
  if (fields.hasTl0PicIdx) ++size;
  if (fields.hasTid || fields.hasKeyIdx) ++size;
  return size;
}

size_t Vp8PayloadDescriptor::Serialize(const Fields& fields, std::span<uint8_t> out) {
  if (fields.partitionIndex > kMaxPartitionIndex) return 0;
  if (fields.hasPictureId &&
      fields.pictureId > (fields.pictureIdIs15Bit ? kMaxPictureId15Bit : kMaxPictureId7Bit)) {
    return 0;
  }
  if (fields.hasTid && fields.tid > kMaxTid) return 0;
  if (fields.hasKeyIdx && fields.keyIdx > kMaxKeyIdx) return 0;
  const size_t size = SerializedSize(fields);
  if (out.size() < size) return 0;

  const bool extended = size > 1;
  // Reserved bits (R, RSV) are written as zero (RFC 7741 4.2).
  out[0] = static_cast<uint8_t>((extended ? kXBit : 0) | (fields.nonReference ? kNBit : 0) |
                                (fields.startOfPartition ? kSBit : 0) | fields.partitionIndex);
  if (!extended) return size;
  out[1] =
      static_cast<uint8_t>((fields.hasPictureId ? kIBit : 0) | (fields.hasTl0PicIdx ? kLBit : 0) |
                           (fields.hasTid ? kTBit : 0) | (fields.hasKeyIdx ? kKBit : 0));
  size_t pos = 2;
  if (fields.hasPictureId) {
    if (fields.pictureIdIs15Bit) {
      WriteBigEndian16(&out[pos], static_cast<uint16_t>(fields.pictureId | (kMBit << 8)));
      pos += 2;
    } else {
      out[pos++] = static_cast<uint8_t>(fields.pictureId);
    }
  }
  if (fields.hasTl0PicIdx) out[pos++] = fields.tl0PicIdx;
  if (fields.hasTid || fields.hasKeyIdx) {
    // TID/Y are meaningful only with T, KEYIDX only with K; the unused part is written as 0.
    uint8_t octet = 0;
    if (fields.hasTid) {
      octet = static_cast<uint8_t>((fields.tid << kTidShift) | (fields.layerSync ? kYBit : 0));
    }
    if (fields.hasKeyIdx) octet = static_cast<uint8_t>(octet | fields.keyIdx);
    out[pos++] = octet;
  }
  return pos;
}

bool Vp8PayloadDescriptor::PictureIdIs15Bit() const {
  return HasPictureId() && (data_[pictureIdOffset_] & kMBit) != 0;
}

uint16_t Vp8PayloadDescriptor::PictureId() const {
  if (!HasPictureId()) return 0;
  if (PictureIdIs15Bit()) {
    return ReadBigEndian16(&data_[pictureIdOffset_]) & kMaxPictureId15Bit;
  }
  return data_[pictureIdOffset_] & kMaxPictureId7Bit;
}

uint8_t Vp8PayloadDescriptor::Tl0PicIdx() const {
  return HasTl0PicIdx() ? data_[tl0PicIdxOffset_] : 0;
}

bool Vp8PayloadDescriptor::HasTid() const { return (ExtensionOctet() & kTBit) != 0; }

uint8_t Vp8PayloadDescriptor::Tid() const {
  return HasTid() ? static_cast<uint8_t>(data_[tidKeyIdxOffset_] >> kTidShift) : 0;
}

bool Vp8PayloadDescriptor::LayerSync() const {
  return HasTid() && (data_[tidKeyIdxOffset_] & kYBit) != 0;
}

bool Vp8PayloadDescriptor::HasKeyIdx() const { return (ExtensionOctet() & kKBit) != 0; }

uint8_t Vp8PayloadDescriptor::KeyIdx() const {
  return HasKeyIdx() ? static_cast<uint8_t>(data_[tidKeyIdxOffset_] & kKeyIdxMask) : 0;
}

Vp8PayloadDescriptor::Fields Vp8PayloadDescriptor::ToFields() const {
  Fields fields;
  fields.nonReference = NonReference();
  fields.startOfPartition = StartOfPartition();
  fields.partitionIndex = PartitionIndex();
  fields.hasPictureId = HasPictureId();
  fields.pictureIdIs15Bit = PictureIdIs15Bit();
  fields.pictureId = PictureId();
  fields.hasTl0PicIdx = HasTl0PicIdx();
  fields.tl0PicIdx = Tl0PicIdx();
  fields.hasTid = HasTid();
  fields.tid = Tid();
  fields.layerSync = LayerSync();
  fields.hasKeyIdx = HasKeyIdx();
  fields.keyIdx = KeyIdx();
  return fields;
}

bool Vp8PayloadDescriptor::IsKeyFrame() const {
  return StartOfPartition() && PartitionIndex() == 0 && (data_[size_] & kInverseKeyFrameBit) == 0;
}

void Vp8PayloadDescriptor::SetPictureId(uint16_t pictureId) {
  if (!HasPictureId()) return;
  if (PictureIdIs15Bit()) {
    WriteBigEndian16(&data_[pictureIdOffset_],
                     static_cast<uint16_t>((pictureId & kMaxPictureId15Bit) | (kMBit << 8)));
  } else {
    data_[pictureIdOffset_] = static_cast<uint8_t>(pictureId & kMaxPictureId7Bit);
  }
}

void Vp8PayloadDescriptor::SetTl0PicIdx(uint8_t tl0PicIdx) {
  if (HasTl0PicIdx()) data_[tl0PicIdxOffset_] = tl0PicIdx;
}

}  // namespace myriad::rtp
