#include <catch2/catch.hpp>

#include "rtp/SequenceNumber.h"

using namespace myriad::rtp;

TEST_CASE("IsSeqNewer compares modulo 2^16", "[SequenceNumber]") {
  CHECK(IsSeqNewer(1, 0));
  CHECK_FALSE(IsSeqNewer(0, 1));
  CHECK_FALSE(IsSeqNewer(5, 5));
  CHECK(IsSeqNewer(0, 65535));  // wrap
  CHECK_FALSE(IsSeqNewer(65535, 0));
  CHECK(IsSeqNewer(0x7FFF, 0));
  CHECK_FALSE(IsSeqNewer(0x8001, 0));  // more than half ahead means behind
  // Exactly half apart: exactly one direction is "newer".
  CHECK(IsSeqNewer(0x8000, 0) != IsSeqNewer(0, 0x8000));
  CHECK(IsSeqNewer(0x9000, 0x1000) != IsSeqNewer(0x1000, 0x9000));
}

TEST_CASE("IsTimestampNewer compares modulo 2^32", "[SequenceNumber]") {
  CHECK(IsTimestampNewer(10, 0xFFFFFFF0u));
  CHECK_FALSE(IsTimestampNewer(0xFFFFFFF0u, 10));
  CHECK(IsTimestampNewer(0x7FFFFFFFu, 0));
  CHECK_FALSE(IsTimestampNewer(0x80000001u, 0));
}

TEST_CASE("SeqNumUnwrapper extends across wraps and handles reordering", "[SequenceNumber]") {
  SeqNumUnwrapper unwrapper;
  CHECK(unwrapper.Unwrap(65534) == 65534);
  CHECK(unwrapper.Unwrap(65535) == 65535);
  CHECK(unwrapper.Unwrap(0) == 65536);
  CHECK(unwrapper.Unwrap(65535) == 65535);  // late packet stays before the wrap
  CHECK(unwrapper.Unwrap(2) == 65538);
  CHECK(unwrapper.PeekUnwrap(1) == 65537);
  CHECK(unwrapper.Last() == 65538);  // Peek does not move the reference
  // Many wraps forward in steps below half the space.
  int64_t expected = 65538;
  uint16_t seq = 2;
  for (int i = 0; i < 10; ++i) {
    seq = static_cast<uint16_t>(seq + 30000);
    expected += 30000;
    CHECK(unwrapper.Unwrap(seq) == expected);
  }
}

TEST_CASE("SeqNumUnwrapper goes below the first value for late packets", "[SequenceNumber]") {
  SeqNumUnwrapper unwrapper;
  CHECK(unwrapper.Unwrap(3) == 3);
  CHECK(unwrapper.Unwrap(65533) == -3);
  unwrapper.Reset();
  CHECK(unwrapper.Unwrap(65533) == 65533);
}

TEST_CASE("TimestampUnwrapper extends 32-bit timestamps", "[SequenceNumber]") {
  TimestampUnwrapper unwrapper;
  CHECK(unwrapper.Unwrap(0xFFFFFF00u) == 0xFFFFFF00ll);
  CHECK(unwrapper.Unwrap(0x100) == 0x100000100ll);
  CHECK(unwrapper.Unwrap(0xFFFFFFF0u) == 0xFFFFFFF0ll);
}

TEST_CASE("UnwrapNear picks the closest extended value", "[SequenceNumber]") {
  CHECK(UnwrapNear<uint16_t>(10, 65536 * 3 + 5) == 65536 * 3 + 10);
  CHECK(UnwrapNear<uint16_t>(65530, 65536 * 3 + 5) == 65536 * 3 - 6);
  CHECK(WrappingDistance<uint16_t>(65530, 4) == 10);
  CHECK(WrappingDistance<uint16_t>(4, 65530) == -10);
}
