#include <array>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "rtp/Vp8PayloadDescriptor.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;
using myriad::rtp::test::ToVector;
using Fields = Vp8PayloadDescriptor::Fields;

namespace {

// Every optional field: X S, I L T K, M with PictureID 0x2bcd, TL0PICIDX 0x42, TID 1 Y KEYIDX 21,
// then two bytes of VP8 payload.
const char* kFullDescriptor = "90 f0 ab cd 42 75  aa bb";

struct RoundTripCase {
  const char* name;
  const char* hex;  // descriptor followed by VP8 payload
  size_t descriptorSize;
  Fields fields;
};

Fields MakeFields(bool n, bool s, uint8_t pid) {
  Fields f;
  f.nonReference = n;
  f.startOfPartition = s;
  f.partitionIndex = pid;
  return f;
}

std::vector<RoundTripCase> RoundTripCases() {
  std::vector<RoundTripCase> cases;
  cases.push_back({"no extension, S", "10 aa", 1, MakeFields(false, true, 0)});
  cases.push_back({"no extension, N", "20 aa", 1, MakeFields(true, false, 0)});
  cases.push_back({"no extension, PID 7", "07 aa", 1, MakeFields(false, false, 7)});
  {
    Fields f = MakeFields(false, true, 0);
    f.hasPictureId = true;
    f.pictureId = 0x11;
    cases.push_back({"7-bit PictureID", "90 80 11 aa", 3, f});
    f.pictureId = 0x7F;
    cases.push_back({"7-bit PictureID at its maximum", "90 80 7f aa", 3, f});
    f.pictureIdIs15Bit = true;
    f.pictureId = 0x0011;
    cases.push_back({"15-bit PictureID below 128 (M)", "90 80 80 11 aa", 4, f});
    f.pictureId = 0x7FFF;
    cases.push_back({"15-bit PictureID at its maximum", "90 80 ff ff aa", 4, f});
  }
  {
    Fields f = MakeFields(false, false, 2);
    f.hasTl0PicIdx = true;
    f.tl0PicIdx = 5;
    cases.push_back({"L without T", "82 40 05 aa", 3, f});
  }
  {
    Fields f = MakeFields(false, false, 0);
    f.hasTid = true;
    f.tid = 3;
    cases.push_back({"T: TID 3", "80 20 c0 aa", 3, f});
    f.tid = 1;
    f.layerSync = true;
    cases.push_back({"T: TID 1 with Y", "80 20 60 aa", 3, f});
  }
  {
    Fields f = MakeFields(false, false, 0);
    f.hasKeyIdx = true;
    f.keyIdx = 31;
    cases.push_back({"K only", "80 10 1f aa", 3, f});
    f.hasTid = true;
    f.tid = 2;
    f.layerSync = true;
    f.keyIdx = 21;
    cases.push_back({"T and K share one octet", "80 30 b5 aa", 3, f});
  }
  {
    Fields f = MakeFields(false, true, 0);
    f.hasPictureId = true;
    f.pictureIdIs15Bit = true;
    f.pictureId = 0x2BCD;
    f.hasTl0PicIdx = true;
    f.tl0PicIdx = 0x42;
    f.hasTid = true;
    f.tid = 1;
    f.layerSync = true;
    f.hasKeyIdx = true;
    f.keyIdx = 21;
    cases.push_back({"every field", kFullDescriptor, 6, f});
  }
  {
    // What Chrome sends for a simulcast layer's key frame: I (M) L T, TID 0 with Y.
    Fields f = MakeFields(false, true, 0);
    f.hasPictureId = true;
    f.pictureIdIs15Bit = true;
    f.pictureId = 0x1F5C;
    f.hasTl0PicIdx = true;
    f.tl0PicIdx = 0x17;
    f.hasTid = true;
    f.layerSync = true;
    cases.push_back({"Chrome key frame", "90 e0 9f 5c 17 20  10 02 00 9d 01 2a", 6, f});
  }
  return cases;
}

// Independent of Serialize: the bytes RFC 7741 4.2 prescribes for these fields.
std::vector<uint8_t> ExpectedBytes(const Fields& f) {
  std::vector<uint8_t> bytes;
  const bool x = f.hasPictureId || f.hasTl0PicIdx || f.hasTid || f.hasKeyIdx;
  bytes.push_back(static_cast<uint8_t>((x ? 0x80 : 0) | (f.nonReference ? 0x20 : 0) |
                                       (f.startOfPartition ? 0x10 : 0) | f.partitionIndex));
  if (!x) return bytes;
  bytes.push_back(static_cast<uint8_t>((f.hasPictureId ? 0x80 : 0) | (f.hasTl0PicIdx ? 0x40 : 0) |
                                       (f.hasTid ? 0x20 : 0) | (f.hasKeyIdx ? 0x10 : 0)));
  if (f.hasPictureId && f.pictureIdIs15Bit) {
    bytes.push_back(static_cast<uint8_t>(0x80 | (f.pictureId >> 8)));
    bytes.push_back(static_cast<uint8_t>(f.pictureId & 0xFF));
  } else if (f.hasPictureId) {
    bytes.push_back(static_cast<uint8_t>(f.pictureId));
  }
  if (f.hasTl0PicIdx) bytes.push_back(f.tl0PicIdx);
  if (f.hasTid || f.hasKeyIdx) {
    bytes.push_back(static_cast<uint8_t>((f.hasTid ? (f.tid << 6) | (f.layerSync ? 0x20 : 0) : 0) |
                                         (f.hasKeyIdx ? f.keyIdx : 0)));
  }
  return bytes;
}

void CheckAccessors(const Vp8PayloadDescriptor& d, const Fields& f) {
  CHECK(d.NonReference() == f.nonReference);
  CHECK(d.StartOfPartition() == f.startOfPartition);
  CHECK(d.PartitionIndex() == f.partitionIndex);
  CHECK(d.HasPictureId() == f.hasPictureId);
  CHECK(d.PictureIdIs15Bit() == f.pictureIdIs15Bit);
  CHECK(d.PictureId() == f.pictureId);
  CHECK(d.HasTl0PicIdx() == f.hasTl0PicIdx);
  CHECK(d.Tl0PicIdx() == f.tl0PicIdx);
  CHECK(d.HasTid() == f.hasTid);
  CHECK(d.Tid() == f.tid);
  CHECK(d.LayerSync() == f.layerSync);
  CHECK(d.HasKeyIdx() == f.hasKeyIdx);
  CHECK(d.KeyIdx() == f.keyIdx);
  CHECK(d.ToFields() == f);
}

// Parse -> fields -> Serialize must give back the descriptor bytes exactly.
void CheckRoundTrip(std::vector<uint8_t> bytes, size_t descriptorSize, const Fields& fields) {
  const std::vector<uint8_t> original = bytes;
  auto descriptor = Vp8PayloadDescriptor::Parse(bytes);
  REQUIRE(descriptor);
  CheckAccessors(*descriptor, fields);
  CHECK(descriptor->HasExtension() == (descriptorSize > 1));
  REQUIRE(descriptor->DescriptorSize() == descriptorSize);
  CHECK(descriptor->Payload().data() == bytes.data() + descriptorSize);
  CHECK(descriptor->Payload().size() == bytes.size() - descriptorSize);
  CHECK(descriptor->Data().size() == bytes.size());

  std::array<uint8_t, Vp8PayloadDescriptor::kMaxSize> out{};
  REQUIRE(Vp8PayloadDescriptor::SerializedSize(descriptor->ToFields()) == descriptorSize);
  REQUIRE(Vp8PayloadDescriptor::Serialize(descriptor->ToFields(), out) == descriptorSize);
  CHECK(
      std::vector<uint8_t>(out.begin(), out.begin() + static_cast<long>(descriptorSize)) ==
      std::vector<uint8_t>(original.begin(), original.begin() + static_cast<long>(descriptorSize)));
  CHECK(bytes == original);  // parsing and reading changed nothing
}

}  // namespace

TEST_CASE("Vp8PayloadDescriptor round-trips hand-written descriptors", "[Vp8PayloadDescriptor]") {
  for (const RoundTripCase& c : RoundTripCases()) {
    INFO(c.name);
    CheckRoundTrip(Hex(c.hex), c.descriptorSize, c.fields);
  }
}

TEST_CASE("Vp8PayloadDescriptor round-trips every combination of I, M, L, T, K",
          "[Vp8PayloadDescriptor]") {
  int combinations = 0;
  for (int pictureId = 0; pictureId < 3; ++pictureId) {  // none, 7-bit, 15-bit (M)
    for (int mask = 0; mask < 8; ++mask) {               // L, T, K
      for (int first = 0; first < 4; ++first) {          // N, S and PID variations
        Fields f = MakeFields((first & 1) != 0, (first & 2) != 0, first == 3 ? 5 : 0);
        f.hasPictureId = pictureId != 0;
        f.pictureIdIs15Bit = pictureId == 2;
        f.pictureId = pictureId == 2 ? 0x4321 : pictureId == 1 ? 0x65 : 0;
        f.hasTl0PicIdx = (mask & 1) != 0;
        f.tl0PicIdx = f.hasTl0PicIdx ? 0xE7 : 0;
        f.hasTid = (mask & 2) != 0;
        f.tid = f.hasTid ? 2 : 0;
        f.layerSync = f.hasTid && first % 2 == 0;
        f.hasKeyIdx = (mask & 4) != 0;
        f.keyIdx = f.hasKeyIdx ? 9 : 0;

        std::vector<uint8_t> bytes = ExpectedBytes(f);
        const size_t descriptorSize = bytes.size();
        bytes.push_back(0x9D);
        INFO("picture id mode " << pictureId << ", L/T/K mask " << mask << ", first " << first);
        CheckRoundTrip(bytes, descriptorSize, f);
        ++combinations;
      }
    }
  }
  CHECK(combinations == 3 * 8 * 4);
}

TEST_CASE("Vp8PayloadDescriptor ignores reserved bits and unused T/K parts",
          "[Vp8PayloadDescriptor]") {
  SECTION("R bits of the mandatory octet") {
    auto bytes = Hex("58 aa");  // R (0x40) and R (0x08) set around S
    auto d = Vp8PayloadDescriptor::Parse(bytes);
    REQUIRE(d);
    CHECK(d->StartOfPartition());
    CHECK(d->PartitionIndex() == 0);
    CHECK_FALSE(d->NonReference());
    std::array<uint8_t, Vp8PayloadDescriptor::kMaxSize> out{};
    REQUIRE(Vp8PayloadDescriptor::Serialize(d->ToFields(), out) == 1);
    CHECK(out[0] == 0x10);  // written as zero
  }
  SECTION("RSV bits of the extension octet") {
    auto bytes = Hex("80 8f 11 aa");
    auto d = Vp8PayloadDescriptor::Parse(bytes);
    REQUIRE(d);
    CHECK(d->PictureId() == 0x11);
    CHECK_FALSE(d->HasTl0PicIdx());
    CHECK(d->DescriptorSize() == 3);
    std::array<uint8_t, Vp8PayloadDescriptor::kMaxSize> out{};
    REQUIRE(Vp8PayloadDescriptor::Serialize(d->ToFields(), out) == 3);
    CHECK(ToVector(std::span(out).first(3)) == Hex("80 80 11"));
  }
  SECTION("TID and Y without T, KEYIDX without K") {
    auto kOnly = Hex("80 10 ff aa");
    auto d = Vp8PayloadDescriptor::Parse(kOnly);
    REQUIRE(d);
    CHECK(d->KeyIdx() == 31);
    CHECK_FALSE(d->HasTid());
    CHECK(d->Tid() == 0);
    CHECK_FALSE(d->LayerSync());
    auto tOnly = Hex("80 20 ff aa");
    d = Vp8PayloadDescriptor::Parse(tOnly);
    REQUIRE(d);
    CHECK(d->Tid() == 3);
    CHECK(d->LayerSync());
    CHECK_FALSE(d->HasKeyIdx());
    CHECK(d->KeyIdx() == 0);
  }
  SECTION("an extension octet that announces nothing") {
    auto bytes = Hex("90 00 aa");
    auto d = Vp8PayloadDescriptor::Parse(bytes);
    REQUIRE(d);
    CHECK(d->HasExtension());
    CHECK(d->DescriptorSize() == 2);
    CHECK(ToVector(d->Payload()) == Hex("aa"));
    // Serialize writes the X octet only when it carries something.
    CHECK(Vp8PayloadDescriptor::SerializedSize(d->ToFields()) == 1);
  }
}

TEST_CASE("Vp8PayloadDescriptor rejects malformed descriptors", "[Vp8PayloadDescriptor]") {
  SECTION("every truncation of a full descriptor") {
    // Every strict prefix of descriptor + one payload byte ends inside the descriptor or
    // right after it.
    myriad::rtp::test::RequireEveryTruncationRejected<Vp8PayloadDescriptor>(
        Hex("90 f0 ab cd 42 75 aa"));
    myriad::rtp::test::RequireEveryTruncationRejected<Vp8PayloadDescriptor>(Hex("90 80 11 aa"));
  }
  SECTION("a descriptor with nothing after it") {
    for (const char* hex : {"10", "90 80 11", "90 80 ab cd", "80 40 05", "80 10 1f", "80 00"}) {
      auto bytes = Hex(hex);
      INFO(hex);
      CHECK_FALSE(Vp8PayloadDescriptor::Parse(bytes));
    }
  }
  SECTION("X set with no extension octet") {
    auto bytes = Hex("80");
    CHECK_FALSE(Vp8PayloadDescriptor::Parse(bytes));
  }
  SECTION("M set with only one PictureID octet") {
    auto bytes = Hex("80 80 80");
    CHECK_FALSE(Vp8PayloadDescriptor::Parse(bytes));
  }
  SECTION("empty payload") {
    std::vector<uint8_t> empty;
    CHECK_FALSE(Vp8PayloadDescriptor::Parse(empty));
  }
}

TEST_CASE("Vp8PayloadDescriptor::Serialize refuses what it cannot write",
          "[Vp8PayloadDescriptor]") {
  auto bytes = Hex(kFullDescriptor);
  const Fields full = Vp8PayloadDescriptor::Parse(bytes)->ToFields();
  for (size_t size = 0; size < 6; ++size) {
    std::vector<uint8_t> out(size);
    INFO("buffer of " << size);
    CHECK(Vp8PayloadDescriptor::Serialize(full, out) == 0);
  }
  std::array<uint8_t, Vp8PayloadDescriptor::kMaxSize> out{};
  CHECK(Vp8PayloadDescriptor::Serialize(full, out) == 6);

  Fields bad = full;
  bad.partitionIndex = 8;
  CHECK(Vp8PayloadDescriptor::Serialize(bad, out) == 0);
  bad = full;
  bad.pictureId = 0x8000;
  CHECK(Vp8PayloadDescriptor::Serialize(bad, out) == 0);
  bad = full;
  bad.pictureIdIs15Bit = false;  // 0x2bcd does not fit 7 bits
  CHECK(Vp8PayloadDescriptor::Serialize(bad, out) == 0);
  bad = full;
  bad.tid = 4;
  CHECK(Vp8PayloadDescriptor::Serialize(bad, out) == 0);
  bad = full;
  bad.keyIdx = 32;
  CHECK(Vp8PayloadDescriptor::Serialize(bad, out) == 0);
  // Values of absent fields are not written, so they are not checked either.
  Fields absent;
  absent.tid = 7;
  absent.keyIdx = 99;
  CHECK(Vp8PayloadDescriptor::Serialize(absent, out) == 1);
  CHECK(out[0] == 0x00);
}

TEST_CASE("Vp8PayloadDescriptor setters rewrite in place without resizing",
          "[Vp8PayloadDescriptor]") {
  SECTION("15-bit PictureID and TL0PICIDX") {
    auto bytes = Hex(kFullDescriptor);
    const auto original = bytes;
    auto d = Vp8PayloadDescriptor::Parse(bytes);
    REQUIRE(d);
    d->SetPictureId(0x8001);  // stored modulo 2^15
    d->SetTl0PicIdx(0xFE);
    auto again = Vp8PayloadDescriptor::Parse(bytes);
    REQUIRE(again);
    CHECK(again->DescriptorSize() == 6);
    CHECK(again->PictureIdIs15Bit());
    CHECK(again->PictureId() == 0x0001);
    CHECK(again->Tl0PicIdx() == 0xFE);
    CHECK(ToVector(std::span(bytes).first(4)) == Hex("90 f0 80 01"));
    bytes[2] = original[2];
    bytes[3] = original[3];
    bytes[4] = original[4];
    CHECK(bytes == original);  // nothing else moved
  }
  SECTION("7-bit PictureID keeps its width") {
    auto bytes = Hex("90 c0 11 42 aa");
    auto d = Vp8PayloadDescriptor::Parse(bytes);
    REQUIRE(d);
    d->SetPictureId(200);
    CHECK(d->PictureId() == 200 % 128);
    CHECK_FALSE(d->PictureIdIs15Bit());
    CHECK(bytes == Hex("90 c0 48 42 aa"));
  }
  SECTION("absent fields stay absent") {
    auto bytes = Hex("80 20 40 aa");
    const auto original = bytes;
    auto d = Vp8PayloadDescriptor::Parse(bytes);
    REQUIRE(d);
    d->SetPictureId(5);
    d->SetTl0PicIdx(6);
    CHECK(bytes == original);
  }
}

TEST_CASE("Vp8PayloadDescriptor recognises the first packet of a key frame",
          "[Vp8PayloadDescriptor]") {
  struct Case {
    const char* hex;
    bool keyFrame;
  };
  const Case cases[] = {
      {"90 e0 9f 5c 17 20  10 02 00 9d 01 2a", true},  // S, PID 0, P = 0
      {"10  50 00 00 9d 01 2a", true},                 // no extension
      {"90 e0 9f 5d 17 20  31 02 00", false},          // P = 1: interframe
      {"80 e0 9f 5c 17 20  10 02 00", false},          // not the start of a partition
      {"91 e0 9f 5c 17 20  10 02 00", false},          // start of partition 1
  };
  for (const Case& c : cases) {
    auto bytes = Hex(c.hex);
    INFO(c.hex);
    auto d = Vp8PayloadDescriptor::Parse(bytes);
    REQUIRE(d);
    CHECK(d->IsKeyFrame() == c.keyFrame);
  }
}
