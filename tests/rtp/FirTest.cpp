#include <catch2/catch.hpp>
#include <vector>

#include "rtp/Fir.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;

namespace {
const char* kFir =
    "84 ce 00 06 00 00 00 01 00 00 00 00 00 00 00 05 07 00 00 00"
    "00 00 00 06 ff 00 00 00";
}

TEST_CASE("Fir parses entries and round-trips", "[Fir]") {
  auto bytes = Hex(kFir);
  auto fir = Fir::Parse(bytes);
  REQUIRE(fir);
  CHECK(fir->SenderSsrc() == 1);
  CHECK(fir->MediaSsrc() == 0);
  REQUIRE(fir->EntryCount() == 2);
  CHECK(fir->EntryAt(0) == Fir::Entry{5, 7});
  CHECK(fir->EntryAt(1) == Fir::Entry{6, 255});

  const Fir::Entry entries[] = {{5, 7}, {6, 255}};
  Fir::Fields fields{1, 0, entries};
  std::vector<uint8_t> out(Fir::SerializedSize(fields), 0xEE);
  REQUIRE(Fir::Serialize(fields, out) == bytes.size());
  CHECK(out == bytes);
  std::vector<uint8_t> small(bytes.size() - 1);
  CHECK(Fir::Serialize(fields, small) == 0);
  CHECK(Fir::Serialize(Fir::Fields{1, 0, {}}, out) == 0);
}

TEST_CASE("Fir setters rewrite entries in place", "[Fir]") {
  auto bytes = Hex(kFir);
  auto fir = Fir::Parse(bytes);
  REQUIRE(fir);
  fir->SetSenderSsrc(9);
  fir->SetEntrySsrc(1, 0x12345678);
  fir->SetEntrySequenceNumber(1, 8);
  auto again = Fir::Parse(bytes);
  CHECK(again->SenderSsrc() == 9);
  CHECK(again->EntryAt(1) == Fir::Entry{0x12345678, 8});
  CHECK(again->EntryAt(0) == Fir::Entry{5, 7});
}

TEST_CASE("Fir rejects malformed packets", "[Fir]") {
  const auto bytes = Hex(kFir);
  myriad::rtp::test::RequireEveryTruncationRejected<Fir>(bytes);
  myriad::rtp::test::RequireBadVersionAndLengthRejected<Fir>(bytes);
  auto wrongFmt = bytes;
  wrongFmt[0] = 0x81;
  CHECK_FALSE(Fir::Parse(wrongFmt));
  auto noEntries = Hex("84 ce 00 02 00 00 00 01 00 00 00 00");
  CHECK_FALSE(Fir::Parse(noEntries));
  auto halfEntry = Hex("84 ce 00 03 00 00 00 01 00 00 00 00 00 00 00 05");
  CHECK_FALSE(Fir::Parse(halfEntry));
}
