// libFuzzer target for the Dependency Descriptor's mandatory fields
// (rtp/DependencyDescriptorHeader.h): whatever parses re-serializes to the
// same first three bytes and parses back to the same fields. Broken
// invariants trap.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "rtp/DependencyDescriptorHeader.h"

using myriad::rtp::DependencyDescriptorHeader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parsed = DependencyDescriptorHeader::Parse(std::span<const uint8_t>(data, size));
  if (!parsed) {
    if (size >= DependencyDescriptorHeader::kMandatorySize) __builtin_trap();
    return 0;
  }
  std::array<uint8_t, DependencyDescriptorHeader::kMandatorySize> out{};
  if (DependencyDescriptorHeader::Serialize(parsed->ToFields(), out) != out.size()) {
    __builtin_trap();
  }
  if (std::memcmp(out.data(), data, out.size()) != 0) __builtin_trap();
  const auto again = DependencyDescriptorHeader::Parse(out);
  if (!again || !(again->ToFields() == parsed->ToFields())) __builtin_trap();
  return 0;
}
