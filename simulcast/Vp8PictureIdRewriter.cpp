#include "simulcast/Vp8PictureIdRewriter.h"

namespace myriad::simulcast {

namespace {

// RFC 7741 4.2 field widths.
constexpr int kPictureId15Bits = 15;
constexpr int kPictureId7Bits = 7;
constexpr int kTl0PicIdxBits = 8;

// The extended value of a `bits`-wide wrapping counter closest to `reference` (RFC 7741 4.2:
// both fields wrap to 0 after their maximum). Exactly half the space away counts as older.
int64_t UnwrapNear(uint32_t value, int64_t reference, int bits) {
  const int64_t space = int64_t{1} << bits;
  int64_t forward = (static_cast<int64_t>(value) - reference) & (space - 1);
  if (forward >= space / 2) forward -= space;
  return reference + forward;
}

void WritePictureId(rtp::Vp8PayloadDescriptor& descriptor, int64_t output) {
  // The setter keeps the field's width; the low 15 bits carry both widths' values.
  descriptor.SetPictureId(static_cast<uint16_t>(static_cast<uint64_t>(output) &
                                                rtp::Vp8PayloadDescriptor::kMaxPictureId15Bit));
}

void WriteTl0PicIdx(rtp::Vp8PayloadDescriptor& descriptor, int64_t output) {
  descriptor.SetTl0PicIdx(static_cast<uint8_t>(static_cast<uint64_t>(output) & 0xFF));
}

}  // namespace

bool Vp8PictureIdRewriter::FieldMapping::Contains(const FieldValue& value) const {
  if (!anchored) return false;
  const int64_t extended = UnwrapNear(value.raw, highestIn, value.bits);
  return extended >= firstIn && extended <= highestIn;
}

int64_t Vp8PictureIdRewriter::FieldMapping::Output(const FieldValue& value) const {
  return UnwrapNear(value.raw, highestIn, value.bits) + offset;
}

void Vp8PictureIdRewriter::SwitchSource(uint32_t sourceId) {
  // The new segment starts lazily with the source's first packet that is not a late one.
  growing_ = false;
  pendingSwitch_ = true;
  pendingSourceId_ = sourceId;
}

size_t Vp8PictureIdRewriter::StoredSegments() const {
  return segmentCount_ < kSegmentHistory ? segmentCount_ : kSegmentHistory;
}

Vp8PictureIdRewriter::Segment& Vp8PictureIdRewriter::SegmentFromNewest(size_t age) {
  return segments_[(segmentCount_ - 1 - age) % kSegmentHistory];
}

bool Vp8PictureIdRewriter::Rewrite(rtp::Vp8PayloadDescriptor& descriptor, uint32_t sourceId) {
  const FieldValue picture{descriptor.HasPictureId(), descriptor.PictureId(),
                           descriptor.PictureIdIs15Bit() ? kPictureId15Bits : kPictureId7Bits};
  const FieldValue tl0{descriptor.HasTl0PicIdx(), descriptor.Tl0PicIdx(), kTl0PicIdxBits};
  if (!picture.present && !tl0.present) return true;
  // The field that says which picture this is: PictureID, or TL0PICIDX without one.
  const bool byPictureId = picture.present;
  const FieldValue& key = byPictureId ? picture : tl0;

  // The current segment first, so that its newest mapping wins over any older segment of the
  // same source whose range the source's ids have come back to.
  if (growing_ && SegmentFromNewest(0).sourceId == sourceId) {
    const Segment& current = SegmentFromNewest(0);
    const FieldMapping& keyMapping = byPictureId ? current.pictureId : current.tl0PicIdx;
    if (!keyMapping.anchored ||
        UnwrapNear(key.raw, keyMapping.highestIn, key.bits) >= keyMapping.firstIn) {
      return RewriteInGrowingSegment(descriptor, picture, tl0);
    }
  }

  // A late packet or retransmission of a picture forwarded in an earlier segment: the values
  // the receiver has already seen for it, and no state change.
  for (size_t age = growing_ ? 1 : 0; age < StoredSegments(); ++age) {
    const Segment& segment = SegmentFromNewest(age);
    if (segment.sourceId != sourceId) continue;
    const FieldMapping& keyMapping = byPictureId ? segment.pictureId : segment.tl0PicIdx;
    if (!keyMapping.Contains(key)) continue;
    const FieldMapping& otherMapping = byPictureId ? segment.tl0PicIdx : segment.pictureId;
    const FieldValue& other = byPictureId ? tl0 : picture;
    if (other.present && !otherMapping.anchored) return false;  // no mapping to give it
    if (picture.present) WritePictureId(descriptor, segment.pictureId.Output(picture));
    if (tl0.present) WriteTl0PicIdx(descriptor, segment.tl0PicIdx.Output(tl0));
    return true;
  }

  if (pendingSwitch_ && pendingSourceId_ == sourceId) {
    pendingSwitch_ = false;
    Segment& segment = segments_[segmentCount_ % kSegmentHistory];
    ++segmentCount_;
    segment = Segment{};
    segment.sourceId = sourceId;
    growing_ = true;
    return RewriteInGrowingSegment(descriptor, picture, tl0);
  }
  // Not selected, or from before the current segment's switch point.
  return false;
}

bool Vp8PictureIdRewriter::RewriteInGrowingSegment(rtp::Vp8PayloadDescriptor& descriptor,
                                                   const FieldValue& picture,
                                                   const FieldValue& tl0) {
  Segment& segment = SegmentFromNewest(0);
  // Maps one field, anchoring it at its first appearance in the segment and moving the
  // segment's and the output's newest values forward.
  const auto advance = [](FieldMapping& mapping, const FieldValue& value, OutputCounter& counter) {
    int64_t extended = value.raw;
    if (!mapping.anchored) {
      mapping.anchored = true;
      mapping.firstIn = extended;
      mapping.highestIn = extended;
      const int64_t firstOut = counter.started ? counter.highest + 1 : extended;
      mapping.offset = firstOut - extended;
    } else {
      extended = UnwrapNear(value.raw, mapping.highestIn, value.bits);
      if (extended > mapping.highestIn) mapping.highestIn = extended;
    }
    const int64_t output = extended + mapping.offset;
    if (!counter.started || output > counter.highest) {
      counter.started = true;
      counter.highest = output;
    }
    return output;
  };
  if (picture.present) {
    WritePictureId(descriptor, advance(segment.pictureId, picture, pictureIdOut_));
  }
  if (tl0.present) WriteTl0PicIdx(descriptor, advance(segment.tl0PicIdx, tl0, tl0PicIdxOut_));
  return true;
}

}  // namespace myriad::simulcast
