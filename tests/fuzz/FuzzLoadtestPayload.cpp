// libFuzzer target: the load generator's payload record on arbitrary bytes
// (whatever a receiver finds in an RTP payload). Parse must never crash, and
// whatever it accepts must serialize back to the same 24 bytes and parse to
// the same record.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "loadtest/client/LoadtestPayload.h"

using myriad::loadtest::LoadtestPayload;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parsed = LoadtestPayload::Parse(std::span<const uint8_t>(data, size));
  if (!parsed) return 0;
  if (size < LoadtestPayload::kSize) __builtin_trap();
  if (parsed->sendTimeUs < 0 || parsed->talkSpurtStartUs < 0 ||
      parsed->talkSpurtStartUs > parsed->sendTimeUs) {
    __builtin_trap();
  }
  std::array<uint8_t, LoadtestPayload::kSize> out{};
  if (parsed->Serialize(out) != LoadtestPayload::kSize) __builtin_trap();
  if (std::memcmp(out.data(), data, LoadtestPayload::kSize) != 0) __builtin_trap();
  const auto again = LoadtestPayload::Parse(out);
  if (!again || !(*again == *parsed)) __builtin_trap();
  return 0;
}
