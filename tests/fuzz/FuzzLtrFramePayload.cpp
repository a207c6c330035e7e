// libFuzzer target: the LTR video sender's frame record on arbitrary bytes
// (whatever a receiver finds in an RTP payload). Parse must never crash, and
// whatever it accepts must keep its rules, serialize back to the same 20
// bytes and parse to the same record.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "loadtest/client/LtrFramePayload.h"

using myriad::loadtest::LtrFramePayload;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parsed = LtrFramePayload::Parse(std::span<const uint8_t>(data, size));
  if (!parsed) return 0;
  if (size < LtrFramePayload::kSize) __builtin_trap();
  if (parsed->packetCount == 0 || parsed->packetCount > LtrFramePayload::kMaxPacketsPerFrame ||
      parsed->packetIndex >= parsed->packetCount || parsed->sendTimeUs < 0) {
    __builtin_trap();
  }
  if (parsed->type == LtrFramePayload::FrameType::kKey && parsed->referenceId != parsed->frameId) {
    __builtin_trap();
  }
  std::array<uint8_t, LtrFramePayload::kSize> out{};
  if (parsed->Serialize(out) != LtrFramePayload::kSize) __builtin_trap();
  if (std::memcmp(out.data(), data, LtrFramePayload::kSize) != 0) __builtin_trap();
  const auto again = LtrFramePayload::Parse(out);
  if (!again || !(*again == *parsed)) __builtin_trap();
  return 0;
}
