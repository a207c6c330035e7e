#include <catch2/catch.hpp>
#include <vector>

#include "rtp/ReceiverReport.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;

namespace {
const char* kReceiverReport =
    "82 c9 00 0d  11 22 33 44"
    "55 66 77 88 40 ff ff fe 00 01 00 05 00 00 00 20 12 34 56 78 00 01 80 00"
    "99 aa bb cc 00 00 00 07 00 00 ff ff 00 00 00 01 00 00 00 00 00 00 00 00";
}

TEST_CASE("ReceiverReport parses and re-serializes", "[ReceiverReport]") {
  auto bytes = Hex(kReceiverReport);
  auto rr = ReceiverReport::Parse(bytes);
  REQUIRE(rr);
  CHECK(rr->SenderSsrc() == 0x11223344);
  REQUIRE(rr->ReportBlockCount() == 2);
  CHECK(rr->ReportBlockAt(1).SourceSsrc() == 0x99AABBCC);
  CHECK(rr->ReportBlockAt(1).CumulativeLost() == 7);
  CHECK(rr->ReportBlockAt(1).ExtendedHighestSequenceNumber() == 0xFFFF);

  const ReportBlock::Fields blocks[] = {rr->ReportBlockAt(0).ToFields(),
                                        rr->ReportBlockAt(1).ToFields()};
  ReceiverReport::Fields fields{rr->SenderSsrc(), blocks};
  std::vector<uint8_t> out(bytes.size());
  REQUIRE(ReceiverReport::Serialize(fields, out) == bytes.size());
  CHECK(out == bytes);

  rr->SetSenderSsrc(5);
  rr->ReportBlockAt(1).SetSourceSsrc(6);
  CHECK(ReceiverReport::Parse(bytes)->SenderSsrc() == 5);
  CHECK(ReceiverReport::Parse(bytes)->ReportBlockAt(1).SourceSsrc() == 6);
}

TEST_CASE("ReceiverReport with no blocks is 8 bytes", "[ReceiverReport]") {
  std::vector<uint8_t> out(8);
  REQUIRE(ReceiverReport::Serialize(ReceiverReport::Fields{0x01020304, {}}, out) == 8);
  CHECK(out == Hex("80 c9 00 01 01 02 03 04"));
  auto rr = ReceiverReport::Parse(out);
  REQUIRE(rr);
  CHECK(rr->ReportBlockCount() == 0);
}

TEST_CASE("ReceiverReport rejects malformed packets", "[ReceiverReport]") {
  const auto bytes = Hex(kReceiverReport);
  myriad::rtp::test::RequireEveryTruncationRejected<ReceiverReport>(bytes);
  myriad::rtp::test::RequireBadVersionAndLengthRejected<ReceiverReport>(bytes);
  auto wrongType = bytes;
  wrongType[1] = 200;
  CHECK_FALSE(ReceiverReport::Parse(wrongType));
  auto moreBlocks = bytes;
  moreBlocks[0] = 0x83;
  CHECK_FALSE(ReceiverReport::Parse(moreBlocks));
  std::vector<ReportBlock::Fields> tooMany(32);
  std::vector<uint8_t> big(2000);
  CHECK(ReceiverReport::Serialize(ReceiverReport::Fields{1, tooMany}, big) == 0);
}
