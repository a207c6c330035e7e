#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "rtp/Tmmbn.h"
#include "rtp/Tmmbr.h"
#include "rtp/TmmbrEntry.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;

namespace {
// Built by hand from RFC 5104 4.2.1.1: FMT 3, PT 205, 2 + 2 * 2 words; sender 1, media 0;
// entry 1: SSRC 0x11111111, 1 Mbps = 125000 * 2^3, overhead 40 ->
//   3 << 26 | 125000 << 9 | 40 = 0x0fd09028;
// entry 2: SSRC 0x22222222, exp 0, mantissa 2^17 - 1, overhead 511 -> 0x03ffffff.
const char* kTmmbr =
    "83 cd 00 06 00 00 00 01 00 00 00 00 11 11 11 11 0f d0 90 28 22 22 22 22 03 ff ff ff";
}  // namespace

TEST_CASE("Tmmbr parses a hand-built packet", "[Tmmbr]") {
  auto bytes = Hex(kTmmbr);
  auto tmmbr = Tmmbr::Parse(bytes);
  REQUIRE(tmmbr);
  CHECK(tmmbr->SenderSsrc() == 1);
  CHECK(tmmbr->MediaSsrc() == 0);
  REQUIRE(tmmbr->EntryCount() == 2);
  CHECK(tmmbr->EntryAt(0) == TmmbrEntry{0x11111111, 3, 125000, 40});
  CHECK(tmmbr->EntryAt(0).BitrateBps() == 1'000'000);
  CHECK(tmmbr->EntryAt(1) == TmmbrEntry{0x22222222, 0, TmmbrEntry::kMaxMantissa, 511});
  CHECK(tmmbr->EntryAt(1).BitrateBps() == 131071);
}

TEST_CASE("Tmmbr serializes byte-exactly", "[Tmmbr]") {
  const TmmbrEntry entries[] = {TmmbrEntry::FromBitrate(0x11111111, 1'000'000, 40),
                                TmmbrEntry{0x22222222, 0, TmmbrEntry::kMaxMantissa, 511}};
  const Tmmbr::Fields fields{1, 0, entries};
  std::vector<uint8_t> out(Tmmbr::SerializedSize(fields), 0xEE);
  REQUIRE(out.size() == 28);
  REQUIRE(Tmmbr::Serialize(fields, out) == 28);
  CHECK(out == Hex(kTmmbr));
  auto again = Tmmbr::Parse(out);
  REQUIRE(again);
  CHECK(again->EntryAt(0) == entries[0]);
  CHECK(again->EntryAt(1) == entries[1]);

  std::vector<uint8_t> small(27);
  CHECK(Tmmbr::Serialize(fields, small) == 0);
}

TEST_CASE("Tmmbr refuses entries that do not fit their fields", "[Tmmbr]") {
  std::vector<uint8_t> out(64);
  CHECK(Tmmbr::Serialize(Tmmbr::Fields{1, 0, {}}, out) == 0);  // at least one entry
  const TmmbrEntry invalid[] = {
      {1, 64, 1, 0}, {1, 0, TmmbrEntry::kMaxMantissa + 1, 0}, {1, 0, 1, 512}};
  for (const TmmbrEntry& entry : invalid) {
    CHECK_FALSE(entry.IsValid());
    const Tmmbr::Fields fields{1, 0, {&entry, 1}};
    CHECK(Tmmbr::SerializedSize(fields) == 0);
    CHECK(Tmmbr::Serialize(fields, out) == 0);
  }
  CHECK(TmmbrEntry{1, 63, TmmbrEntry::kMaxMantissa, 511}.IsValid());
  const TmmbrEntry largest{5, 63, TmmbrEntry::kMaxMantissa, 511};
  REQUIRE(Tmmbr::Serialize(Tmmbr::Fields{1, 0, {&largest, 1}}, out) == 20);
  CHECK(std::vector<uint8_t>(out.begin() + 12, out.begin() + 20) == Hex("00 00 00 05 ff ff ff ff"));
  CHECK(Tmmbr::Parse(std::span<uint8_t>(out.data(), 20))->EntryAt(0) == largest);
}

TEST_CASE("Tmmbr rejects malformed packets", "[Tmmbr]") {
  const auto bytes = Hex(kTmmbr);
  myriad::rtp::test::RequireEveryTruncationRejected<Tmmbr>(bytes);
  myriad::rtp::test::RequireBadVersionAndLengthRejected<Tmmbr>(bytes);
  auto tmmbn = bytes;
  tmmbn[0] = 0x84;
  CHECK_FALSE(Tmmbr::Parse(tmmbn));
  auto rpsi = bytes;  // PSFB FMT 3
  rpsi[1] = 206;
  CHECK_FALSE(Tmmbr::Parse(rpsi));
  auto noEntries = Hex("83 cd 00 02 00 00 00 01 00 00 00 00");
  CHECK_FALSE(Tmmbr::Parse(noEntries));
  auto halfEntry = Hex("83 cd 00 03 00 00 00 01 00 00 00 00 11 11 11 11");
  CHECK_FALSE(Tmmbr::Parse(halfEntry));
  auto entryAndAHalf =
      Hex("83 cd 00 05 00 00 00 01 00 00 00 00 11 11 11 11 0f d0 90 28 22 22 22 22");
  CHECK_FALSE(Tmmbr::Parse(entryAndAHalf));
}

TEST_CASE("Tmmbr tolerates RTCP padding and a non-zero media SSRC", "[Tmmbr]") {
  auto padded = Hex("a3 cd 00 05 00 00 00 01 00 00 00 09 11 11 11 11 0f d0 90 28 00 00 00 04");
  auto tmmbr = Tmmbr::Parse(padded);
  REQUIRE(tmmbr);
  CHECK(tmmbr->MediaSsrc() == 9);
  REQUIRE(tmmbr->EntryCount() == 1);
  CHECK(tmmbr->EntryAt(0).BitrateBps() == 1'000'000);
}

TEST_CASE("Tmmbr setters rewrite in place", "[Tmmbr]") {
  auto bytes = Hex(kTmmbr);
  auto tmmbr = Tmmbr::Parse(bytes);
  REQUIRE(tmmbr);
  tmmbr->SetSenderSsrc(7);
  tmmbr->SetMediaSsrc(0);
  tmmbr->SetEntrySsrc(1, 0x12345678);
  auto again = Tmmbr::Parse(bytes);
  CHECK(again->SenderSsrc() == 7);
  CHECK(again->EntryAt(0) == TmmbrEntry{0x11111111, 3, 125000, 40});
  CHECK(again->EntryAt(1) == TmmbrEntry{0x12345678, 0, TmmbrEntry::kMaxMantissa, 511});
}

TEST_CASE("TmmbrEntry bit rate encoding edge cases", "[Tmmbr]") {
  struct Case {
    uint64_t bps;
    uint8_t exponent;
    uint32_t mantissa;
    uint64_t decoded;
  };
  const Case cases[] = {
      {0, 0, 0, 0},
      {1, 0, 1, 1},
      {131071, 0, 131071, 131071},  // largest exact mantissa
      {131072, 1, 65536, 131072},
      {131073, 1, 65536, 131072},  // truncated, never rounded up
      {1'000'000, 3, 125000, 1'000'000},
      {100'000'000, 10, 97656, 99'999'744},
      {2'500'000'000ULL, 15, 76293, 2'499'969'024ULL},
      {std::numeric_limits<uint64_t>::max(), 47, 131071, 131071ULL << 47},
  };
  for (const Case& c : cases) {
    INFO(c.bps << " bps");
    CHECK(TmmbrEntry::EncodeBitrate(c.bps) == TmmbrEntry::EncodedBitrate{c.exponent, c.mantissa});
    CHECK(TmmbrEntry::DecodeBitrate(c.exponent, c.mantissa) == c.decoded);
    CHECK(TmmbrEntry::FromBitrate(9, c.bps).BitrateBps() == c.decoded);
  }
}

TEST_CASE("TmmbrEntry decoding saturates what does not fit 64 bits", "[Tmmbr]") {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  CHECK(TmmbrEntry::DecodeBitrate(63, 0) == 0);
  CHECK(TmmbrEntry::DecodeBitrate(63, 1) == uint64_t{1} << 63);
  CHECK(TmmbrEntry::DecodeBitrate(63, 2) == kMax);
  CHECK(TmmbrEntry::DecodeBitrate(48, TmmbrEntry::kMaxMantissa) == kMax);
  CHECK(TmmbrEntry::DecodeBitrate(63, TmmbrEntry::kMaxMantissa) == kMax);
  CHECK(TmmbrEntry{1, 63, TmmbrEntry::kMaxMantissa, 0}.BitrateBps() == kMax);
}

TEST_CASE("TmmbrEntry encoding never exceeds the bound and loses less than 2^-16", "[Tmmbr]") {
  std::mt19937_64 random(42);
  std::vector<uint64_t> values;
  for (int shift = 0; shift < 64; ++shift) {
    const uint64_t power = uint64_t{1} << shift;
    values.insert(values.end(), {power - 1, power, power + 1});
  }
  for (int i = 0; i < 2000; ++i) values.push_back(random() >> (random() % 64));
  for (uint64_t bps : values) {
    INFO(bps << " bps");
    const auto encoded = TmmbrEntry::EncodeBitrate(bps);
    REQUIRE(encoded.mantissa <= TmmbrEntry::kMaxMantissa);
    REQUIRE(encoded.exponent <= 47);
    const uint64_t decoded = TmmbrEntry::DecodeBitrate(encoded.exponent, encoded.mantissa);
    REQUIRE(decoded <= bps);
    REQUIRE(bps - decoded < (uint64_t{1} << encoded.exponent));
    // The smallest exponent: one less would not fit 17 bits.
    if (encoded.exponent > 0) REQUIRE((bps >> (encoded.exponent - 1)) > TmmbrEntry::kMaxMantissa);
    // So the mantissa keeps at least 16 significant bits: relative error below 2^-16.
    if (encoded.exponent > 0) REQUIRE(encoded.mantissa >= (1u << 16));
    // Encoding is idempotent: what a receiver decodes encodes to the same fields.
    REQUIRE(TmmbrEntry::EncodeBitrate(decoded) == encoded);
  }
}

TEST_CASE("TmmbrEntry clamps the overhead to 9 bits", "[Tmmbr]") {
  CHECK(TmmbrEntry::FromBitrate(1, 1000, 600).overhead == TmmbrEntry::kMaxOverhead);
  CHECK(TmmbrEntry::FromBitrate(1, 1000, 28).overhead == 28);
}
