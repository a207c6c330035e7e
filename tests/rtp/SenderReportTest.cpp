#include <catch2/catch.hpp>
#include <vector>

#include "rtp/SenderReport.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;
using myriad::rtp::test::ToVector;

namespace {
const char* kSenderReport =
    "81 c8 00 0c  11 22 33 44  e0 00 00 01 80 00 00 00  00 00 10 00  00 00 00 0a  00 00 04 00"
    "55 66 77 88 40 ff ff fe 00 01 00 05 00 00 00 20 12 34 56 78 00 01 80 00";
}

TEST_CASE("SenderReport parses and re-serializes", "[SenderReport]") {
  auto bytes = Hex(kSenderReport);
  auto sr = SenderReport::Parse(bytes);
  REQUIRE(sr);
  CHECK(sr->SenderSsrc() == 0x11223344);
  CHECK(sr->NtpTimestamp() == 0xE000000180000000ull);
  CHECK(sr->RtpTimestamp() == 0x1000);
  CHECK(sr->PacketCount() == 10);
  CHECK(sr->OctetCount() == 1024);
  REQUIRE(sr->ReportBlockCount() == 1);
  CHECK(sr->ReportBlockAt(0).SourceSsrc() == 0x55667788);
  CHECK(sr->ReportBlockAt(0).CumulativeLost() == -2);

  const ReportBlock::Fields blocks[] = {sr->ReportBlockAt(0).ToFields()};
  SenderReport::Fields fields{sr->SenderSsrc(),  sr->NtpTimestamp(), sr->RtpTimestamp(),
                              sr->PacketCount(), sr->OctetCount(),   blocks};
  REQUIRE(SenderReport::SerializedSize(fields) == bytes.size());
  std::vector<uint8_t> out(bytes.size());
  REQUIRE(SenderReport::Serialize(fields, out) == bytes.size());
  CHECK(out == bytes);
  std::vector<uint8_t> small(bytes.size() - 1);
  CHECK(SenderReport::Serialize(fields, small) == 0);
}

TEST_CASE("SenderReport SSRC setters rewrite in place", "[SenderReport]") {
  auto bytes = Hex(kSenderReport);
  auto sr = SenderReport::Parse(bytes);
  REQUIRE(sr);
  sr->SetSenderSsrc(0xCAFEBABE);
  sr->ReportBlockAt(0).SetSourceSsrc(0x0BADF00D);
  auto again = SenderReport::Parse(bytes);
  REQUIRE(again);
  CHECK(again->SenderSsrc() == 0xCAFEBABE);
  CHECK(again->ReportBlockAt(0).SourceSsrc() == 0x0BADF00D);
  CHECK(again->NtpTimestamp() == 0xE000000180000000ull);
}

TEST_CASE("SenderReport without report blocks and with profile extensions", "[SenderReport]") {
  auto bytes =
      Hex("80 c8 00 07 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00 05"
          "00 00 00 06 de ad be ef");
  auto sr = SenderReport::Parse(bytes);
  REQUIRE(sr);
  CHECK(sr->ReportBlockCount() == 0);
  CHECK(sr->OctetCount() == 6);
}

TEST_CASE("SenderReport rejects malformed packets", "[SenderReport]") {
  const auto bytes = Hex(kSenderReport);
  myriad::rtp::test::RequireEveryTruncationRejected<SenderReport>(bytes);
  myriad::rtp::test::RequireBadVersionAndLengthRejected<SenderReport>(bytes);
  auto wrongType = bytes;
  wrongType[1] = 201;
  CHECK_FALSE(SenderReport::Parse(wrongType));
  auto moreBlocks = bytes;  // RC=2 but only one block present
  moreBlocks[0] = 0x82;
  CHECK_FALSE(SenderReport::Parse(moreBlocks));
  auto paddedAway = bytes;  // padding eats into the report block
  paddedAway[0] |= 0x20;
  paddedAway.back() = 8;
  CHECK_FALSE(SenderReport::Parse(paddedAway));
}
