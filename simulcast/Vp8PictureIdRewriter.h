#pragma once

// Keeps the VP8 PictureID and TL0PICIDX (RFC 7741 section 4.2) of one outgoing video stream
// continuous while the SFU splices different incoming streams into it (a subscriber moved from
// one simulcast encoding to another at a key frame). RFC 7741 4.2 has both fields increase by
// one per picture (TL0PICIDX per base-layer picture) and receivers use them to find missing
// references; an unexplained jump or a repeated value makes them wait for another key frame.
// This is the codec-level companion of rtp::RtpStreamRewriter and follows the same model:
//
// - The output is a list of segments. A segment forwards one source with a fixed offset per
//   field. It starts at the first packet of the source after SwitchSource(); that packet's
//   picture gets the highest output PictureID so far + 1, and its TL0PICIDX the highest output
//   TL0PICIDX + 1 (a switch lands on a key frame, which is a base-layer picture). The very first
//   segment keeps the source's own values. A field a segment has not seen yet (say TL0PICIDX
//   appears later) is anchored the same way at its first appearance.
// - Within a segment every packet keeps its distance to the others: a retransmitted or
//   reordered packet of a picture gets the same output as the first, losses stay visible as
//   gaps, and wrap-around of the 7-, 15- and 8-bit fields is followed (values are unwrapped
//   near the segment's newest one).
// - A packet is matched to a segment by its PictureID, or by its TL0PICIDX when it has none.
//   A packet of an earlier segment (a late or retransmitted packet of a source forwarded before)
//   gets that segment's mapping again - the values the receiver already saw for that picture -
//   and changes no state. A packet that belongs to no segment and cannot start or extend the
//   current one (a source that is not selected, a picture from before the switch point, whose
//   output would collide with the previous segment's) is refused: Rewrite returns false, leaves
//   the descriptor as it was, and the caller drops the packet.
//
// Field widths: the setters cannot resize the descriptor, so each packet is written in the
// width it arrived with. The output is one counter per field; a packet carries its low 15 or
// 7 bits. When a source with 7-bit PictureIDs follows one with 15-bit ids, a receiver that
// compares ids in each packet's own width (RFC 7741 lets the sender pick the width, and the
// receiver MUST support both) sees +1 across the switch and across the 7-bit wrap; one that
// mixes widths sees the jump that any change of width causes - no choice of 7-bit value could
// continue a 15-bit sequence - so keeping the low bits continuous is the best available.
// Browsers send 15-bit ids (libwebrtc always does), where this never arises.
//
// Switching is explicit (like RtpStreamRewriter::SwitchSource) rather than inferred from a new
// source id: a late packet of the previous source and a switch back to it look alike otherwise.
// Pure logic, no allocation; one instance per subscriber and track.

#include <array>
#include <cstddef>
#include <cstdint>

#include "rtp/Vp8PayloadDescriptor.h"

namespace myriad::simulcast {

class Vp8PictureIdRewriter {
 public:
  // Segments remembered for mapping late packets and retransmissions across switches.
  static constexpr size_t kSegmentHistory = 8;

  // Packets of `sourceId` that belong to no earlier segment continue the output from the next
  // one on. Until the first call, Rewrite refuses everything.
  void SwitchSource(uint32_t sourceId);

  // Rewrites PictureID and TL0PICIDX in place (only those present). Returns false, with the
  // descriptor untouched, when the packet cannot be placed (see above). A packet with neither
  // field has nothing to keep continuous and returns true without changing anything.
  bool Rewrite(rtp::Vp8PayloadDescriptor& descriptor, uint32_t sourceId);

 private:
  // One field of a received packet: its raw value and width in bits.
  struct FieldValue {
    bool present = false;
    uint32_t raw = 0;
    int bits = 0;
  };
  // How one field of one segment maps to the output: output = extended input + offset.
  struct FieldMapping {
    bool anchored = false;
    int64_t firstIn = 0;    // extended input value of the segment's first picture
    int64_t highestIn = 0;  // newest extended input value; the reference for unwrapping
    int64_t offset = 0;
    bool Contains(const FieldValue& value) const;
    int64_t Output(const FieldValue& value) const;  // needs anchored
  };
  struct Segment {
    uint32_t sourceId = 0;
    FieldMapping pictureId;
    FieldMapping tl0PicIdx;
  };
  // The newest value written for one field, over all segments.
  struct OutputCounter {
    bool started = false;
    int64_t highest = 0;
  };

  size_t StoredSegments() const;
  Segment& SegmentFromNewest(size_t age);  // age < StoredSegments()
  bool RewriteInGrowingSegment(rtp::Vp8PayloadDescriptor& descriptor, const FieldValue& picture,
                               const FieldValue& tl0);

  std::array<Segment, kSegmentHistory> segments_{};
  size_t segmentCount_ = 0;  // total ever started; the newest is (segmentCount_ - 1) % size
  bool growing_ = false;     // the newest segment still takes new pictures
  bool pendingSwitch_ = false;
  uint32_t pendingSourceId_ = 0;
  OutputCounter pictureIdOut_;
  OutputCounter tl0PicIdxOut_;
};

}  // namespace myriad::simulcast
