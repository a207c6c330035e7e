#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "rtp/Tmmbn.h"
#include "rtp/Tmmbr.h"
#include "rtp/TmmbrEntry.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;

namespace {
// Built by hand from RFC 5104 4.2.2.1: FMT 4, PT 205, 2 + 2 * 1 words; sender 2, media 0;
// SSRC 0x11111111 bounded at 1 Mbps (3 << 26 | 125000 << 9) with overhead 40.
const char* kTmmbn = "84 cd 00 04 00 00 00 02 00 00 00 00 11 11 11 11 0f d0 90 28";
// An empty bounding set: no FCI at all (4.2.2.1 allows zero entries).
const char* kEmptyTmmbn = "84 cd 00 02 00 00 00 02 00 00 00 00";
}  // namespace

TEST_CASE("Tmmbn parses and serializes a hand-built packet", "[Tmmbn]") {
  auto bytes = Hex(kTmmbn);
  auto tmmbn = Tmmbn::Parse(bytes);
  REQUIRE(tmmbn);
  CHECK(tmmbn->SenderSsrc() == 2);
  CHECK(tmmbn->MediaSsrc() == 0);
  REQUIRE(tmmbn->EntryCount() == 1);
  CHECK(tmmbn->EntryAt(0) == TmmbrEntry{0x11111111, 3, 125000, 40});

  const TmmbrEntry entries[] = {TmmbrEntry::FromBitrate(0x11111111, 1'000'000, 40)};
  const Tmmbn::Fields fields{2, 0, entries};
  std::vector<uint8_t> out(Tmmbn::SerializedSize(fields), 0xEE);
  REQUIRE(Tmmbn::Serialize(fields, out) == bytes.size());
  CHECK(out == bytes);
  std::vector<uint8_t> small(bytes.size() - 1);
  CHECK(Tmmbn::Serialize(fields, small) == 0);
}

TEST_CASE("Tmmbn carries an empty bounding set", "[Tmmbn]") {
  auto bytes = Hex(kEmptyTmmbn);
  auto tmmbn = Tmmbn::Parse(bytes);
  REQUIRE(tmmbn);
  CHECK(tmmbn->EntryCount() == 0);
  std::vector<uint8_t> out(Tmmbn::SerializedSize(Tmmbn::Fields{2, 0, {}}));
  REQUIRE(out.size() == 12);
  REQUIRE(Tmmbn::Serialize(Tmmbn::Fields{2, 0, {}}, out) == 12);
  CHECK(out == bytes);
}

TEST_CASE("Tmmbn rejects malformed packets", "[Tmmbn]") {
  const auto bytes = Hex(kTmmbn);
  myriad::rtp::test::RequireEveryTruncationRejected<Tmmbn>(bytes);
  myriad::rtp::test::RequireBadVersionAndLengthRejected<Tmmbn>(bytes);
  auto tmmbr = bytes;
  tmmbr[0] = 0x83;
  CHECK_FALSE(Tmmbn::Parse(tmmbr));
  CHECK(Tmmbr::Parse(tmmbr));  // the same entries as a request
  auto notification = bytes;
  CHECK_FALSE(Tmmbr::Parse(notification));
  auto fir = bytes;  // PSFB FMT 4
  fir[1] = 206;
  CHECK_FALSE(Tmmbn::Parse(fir));
  auto halfEntry = Hex("84 cd 00 03 00 00 00 02 00 00 00 00 11 11 11 11");
  CHECK_FALSE(Tmmbn::Parse(halfEntry));
  const TmmbrEntry invalid{1, 0, TmmbrEntry::kMaxMantissa + 1, 0};
  std::vector<uint8_t> out(64);
  CHECK(Tmmbn::Serialize(Tmmbn::Fields{2, 0, {&invalid, 1}}, out) == 0);
}

TEST_CASE("Tmmbn setters rewrite in place", "[Tmmbn]") {
  auto bytes = Hex(kTmmbn);
  auto tmmbn = Tmmbn::Parse(bytes);
  REQUIRE(tmmbn);
  tmmbn->SetSenderSsrc(5);
  tmmbn->SetEntrySsrc(0, 6);
  auto again = Tmmbn::Parse(bytes);
  CHECK(again->SenderSsrc() == 5);
  CHECK(again->EntryAt(0) == TmmbrEntry{6, 3, 125000, 40});
}
