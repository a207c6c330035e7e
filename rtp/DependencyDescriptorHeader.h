#pragma once

// The mandatory fields of the Dependency Descriptor RTP header extension
// (AV1 RTP specification, appendix A.8, "Dependency Descriptor RTP Header
// Extension", mandatory_descriptor_fields), the first three bytes of every
// descriptor:
//
//    0                   1                   2
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
//   |S|E| template id |          frame_number         |  extended fields...
//
// S: first packet of a frame, E: last packet of a frame, template id: 6
// bits, frame_number: 16 bits, +1 per frame, wrapping. Extended fields
// (the template structure, active decode targets, custom dependencies)
// follow when the element is longer than 3 bytes; this view does not read
// them. Myriad reads frame_number as the frame id of long-term reference
// feedback (docs/protocol.md "Long-term references").

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace myriad::rtp {

class DependencyDescriptorHeader {
 public:
  static constexpr size_t kMandatorySize = 3;

  struct Fields {
    bool startOfFrame = false;
    bool endOfFrame = false;
    uint8_t templateId = 0;  // 6 bits
    uint16_t frameNumber = 0;
    friend bool operator==(const Fields&, const Fields&) = default;
  };

  // nullopt when the element is shorter than the mandatory fields.
  static std::optional<DependencyDescriptorHeader> Parse(std::span<const uint8_t> element);
  // Writes the mandatory fields only (3 bytes); 0 when `out` is too small or
  // the template id does not fit 6 bits.
  static size_t Serialize(const Fields& fields, std::span<uint8_t> out);

  bool StartOfFrame() const { return (data_[0] & 0x80) != 0; }
  bool EndOfFrame() const { return (data_[0] & 0x40) != 0; }
  uint8_t TemplateId() const { return data_[0] & 0x3F; }
  uint16_t FrameNumber() const { return static_cast<uint16_t>((data_[1] << 8) | data_[2]); }
  // Extended descriptor fields follow the mandatory ones.
  bool HasExtendedFields() const { return data_.size() > kMandatorySize; }
  Fields ToFields() const { return {StartOfFrame(), EndOfFrame(), TemplateId(), FrameNumber()}; }

 private:
  explicit DependencyDescriptorHeader(std::span<const uint8_t> data) : data_(data) {}
  std::span<const uint8_t> data_;
};

}  // namespace myriad::rtp
