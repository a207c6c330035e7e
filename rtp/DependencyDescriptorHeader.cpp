#include "rtp/DependencyDescriptorHeader.h"

namespace myriad::rtp {

std::optional<DependencyDescriptorHeader> DependencyDescriptorHeader::Parse(
    std::span<const uint8_t> element) {
  if (element.size() < kMandatorySize) return std::nullopt;
  return DependencyDescriptorHeader(element);
}

size_t DependencyDescriptorHeader::Serialize(const Fields& fields, std::span<uint8_t> out) {
  if (out.size() < kMandatorySize || fields.templateId > 0x3F) return 0;
  out[0] = static_cast<uint8_t>((fields.startOfFrame ? 0x80 : 0) | (fields.endOfFrame ? 0x40 : 0) |
                                fields.templateId);
  out[1] = static_cast<uint8_t>(fields.frameNumber >> 8);
  out[2] = static_cast<uint8_t>(fields.frameNumber);
  return kMandatorySize;
}

}  // namespace myriad::rtp
