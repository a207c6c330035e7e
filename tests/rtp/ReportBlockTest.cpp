#include <array>
#include <catch2/catch.hpp>

#include "rtp/ReportBlock.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;
using myriad::rtp::test::ToVector;

namespace {
const char* kBlock = "55 66 77 88 40 ff ff fe 00 01 00 05 00 00 00 20 12 34 56 78 00 01 80 00";
}

TEST_CASE("ReportBlock reads RFC 3550 6.4.1 fields", "[ReportBlock]") {
  auto bytes = Hex(kBlock);
  auto block = ReportBlock::Parse(bytes);
  REQUIRE(block);
  CHECK(block->SourceSsrc() == 0x55667788);
  CHECK(block->FractionLost() == 0x40);
  CHECK(block->CumulativeLost() == -2);
  CHECK(block->ExtendedHighestSequenceNumber() == 0x00010005);
  CHECK(block->Jitter() == 0x20);
  CHECK(block->LastSenderReport() == 0x12345678);
  CHECK(block->DelaySinceLastSenderReport() == 0x00018000);

  std::array<uint8_t, ReportBlock::kSize> out{};
  REQUIRE(ReportBlock::Serialize(block->ToFields(), out) == ReportBlock::kSize);
  CHECK(ToVector(out) == bytes);

  block->SetSourceSsrc(0x01020304);
  CHECK(ReportBlock::Parse(bytes)->SourceSsrc() == 0x01020304);
}

TEST_CASE("ReportBlock clamps cumulative loss to 24 bits signed", "[ReportBlock]") {
  std::array<uint8_t, ReportBlock::kSize> out{};
  ReportBlock::Fields fields;
  fields.cumulativeLost = 0x7FFFFFFF;
  REQUIRE(ReportBlock::Serialize(fields, out) == ReportBlock::kSize);
  CHECK(ReportBlock::Parse(out)->CumulativeLost() == 0x7FFFFF);
  fields.cumulativeLost = -0x7FFFFFFF;
  REQUIRE(ReportBlock::Serialize(fields, out) == ReportBlock::kSize);
  CHECK(ReportBlock::Parse(out)->CumulativeLost() == -0x800000);
}

TEST_CASE("ReportBlock rejects short buffers", "[ReportBlock]") {
  myriad::rtp::test::RequireEveryTruncationRejected<ReportBlock>(Hex(kBlock));
  std::array<uint8_t, ReportBlock::kSize - 1> small{};
  CHECK(ReportBlock::Serialize(ReportBlock::Fields{}, small) == 0);
}
