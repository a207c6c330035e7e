#include "rtp/BitReader.h"

namespace myriad::rtp {

namespace {
// ue(v) values need leadingZeroBits + 1 + leadingZeroBits bits; 31 zeros already reach
// 2^32 - 2, and a 32nd would overflow 32 bits (no H.264 syntax element needs it).
constexpr size_t kMaxExpGolombLeadingZeros = 31;
}  // namespace

uint32_t BitReader::ReadBits(size_t count) {
  if (!ok_ || count > 32 || count > RemainingBits()) {
    Fail();
    return 0;
  }
  uint32_t value = 0;
  while (count > 0) {
    // Take as many bits as the current byte still has, up to `count`.
    const size_t bitInByte = bitPosition_ % 8;
    const size_t available = 8 - bitInByte;
    const size_t take = count < available ? count : available;
    const uint32_t byte = data_[bitPosition_ / 8];
    const uint32_t bits = (byte >> (available - take)) & ((1u << take) - 1);
    value = static_cast<uint32_t>((uint64_t{value} << take) | bits);
    bitPosition_ += take;
    count -= take;
  }
  return value;
}

void BitReader::SkipBits(size_t count) {
  if (!ok_ || count > RemainingBits()) {
    Fail();
    return;
  }
  bitPosition_ += count;
}

uint32_t BitReader::ReadUnsignedExpGolomb() {
  // H.264 9.1: leadingZeroBits zeros, a one, then leadingZeroBits bits of suffix;
  // codeNum = 2^leadingZeroBits - 1 + suffix.
  size_t leadingZeros = 0;
  while (true) {
    if (!ok_ || RemainingBits() == 0) {
      Fail();
      return 0;
    }
    if (ReadFlag()) break;
    if (++leadingZeros > kMaxExpGolombLeadingZeros) {
      Fail();
      return 0;
    }
  }
  const uint32_t suffix = ReadBits(leadingZeros);
  if (!ok_) return 0;
  return static_cast<uint32_t>((uint64_t{1} << leadingZeros) - 1 + suffix);
}

int32_t BitReader::ReadSignedExpGolomb() {
  const uint32_t codeNum = ReadUnsignedExpGolomb();
  // codeNum <= 2^32 - 2, so both halves fit in int32 (magnitude <= 2^31 - 1).
  if ((codeNum & 1) != 0) return static_cast<int32_t>((codeNum >> 1) + 1);
  return -static_cast<int32_t>(codeNum >> 1);
}

}  // namespace myriad::rtp
