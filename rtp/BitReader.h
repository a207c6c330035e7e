#pragma once

// MSB-first bit reader over a byte buffer with the Exp-Golomb codes of ITU-T H.264 section 9.1
// (ue(v), se(v)) and the fixed-length u(n) of section 7.2. Used by bitstream parsers that read
// many variable-length fields in a row (H264SequenceParameterSet).
//
// Failure is sticky: a read that would run past the end (or an Exp-Golomb code too long for 32
// bits) returns 0, consumes nothing and latches Ok() to false; every later read also returns 0.
// Parsers read a group of fields and check Ok() before a value decides anything, the way the
// H.264 reference decoders do, instead of testing every field.

#include <cstddef>
#include <cstdint>
#include <span>

namespace myriad::rtp {

class BitReader {
 public:
  explicit BitReader(std::span<const uint8_t> data) : data_(data) {}

  // u(n) for n <= 32; n > 32 is a caller error and fails the reader.
  uint32_t ReadBits(size_t count);
  // u(1).
  bool ReadFlag() { return ReadBits(1) != 0; }
  // Advances without decoding; fails the reader if fewer bits remain.
  void SkipBits(size_t count);
  // ue(v), H.264 9.1: up to 31 leading zero bits, so values 0 .. 2^32 - 2.
  uint32_t ReadUnsignedExpGolomb();
  // se(v), H.264 9.1.1 (Table 9-3): codeNum k maps to (-1)^(k+1) * Ceil(k / 2).
  int32_t ReadSignedExpGolomb();

  bool Ok() const { return ok_; }
  size_t RemainingBits() const { return ok_ ? data_.size() * 8 - bitPosition_ : 0; }

 private:
  void Fail() { ok_ = false; }

  std::span<const uint8_t> data_;
  size_t bitPosition_ = 0;
  bool ok_ = true;
};

}  // namespace myriad::rtp
