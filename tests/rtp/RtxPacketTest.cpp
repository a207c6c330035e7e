#include <array>
#include <catch2/catch.hpp>
#include <vector>

#include "rtp/RtpPacketBuilder.h"
#include "rtp/RtxPacket.h"
#include "tests/rtp/PacketTestHelpers.h"

using namespace myriad::rtp;
using myriad::rtp::test::Hex;
using myriad::rtp::test::ToVector;

namespace {
const std::array<uint8_t, 2> kMid{'m', '1'};
const std::array<uint8_t, 5> kPayload{10, 20, 30, 40, 50};

std::vector<uint8_t> BuildOriginal(uint8_t padding = 0) {
  std::vector<uint8_t> buffer(200);
  const auto written = RtpPacketBuilder(buffer)
                           .SetPayloadType(96)
                           .SetMarker(true)
                           .SetSequenceNumber(0xABCD)
                           .SetTimestamp(90000)
                           .SetSsrc(0x11111111)
                           .AddCsrc(0x33333333)
                           .AddExtension(4, kMid)
                           .SetPayload(kPayload)
                           .SetPaddingSize(padding)
                           .Build();
  REQUIRE_FALSE(written.empty());
  return ToVector(written);
}
}  // namespace

TEST_CASE("RTX wrap and unwrap round-trip the original packet", "[RtxPacket]") {
  auto originalBytes = BuildOriginal();
  auto original = RtpPacket::Parse(originalBytes);
  REQUIRE(original);

  std::vector<uint8_t> buffer(originalBytes.size() + kRtxOsnSize);
  auto rtx = OriginalToRtx(*original, buffer, 97, 0x22222222, 7);
  REQUIRE(rtx);
  CHECK(rtx->Size() == originalBytes.size() + 2);
  CHECK(rtx->PayloadType() == 97);
  CHECK(rtx->Ssrc() == 0x22222222);
  CHECK(rtx->SequenceNumber() == 7);
  CHECK(rtx->Marker());
  CHECK(rtx->Timestamp() == 90000);
  CHECK(rtx->Csrc(0) == 0x33333333);
  CHECK(ToVector(rtx->GetExtension(4)) == ToVector(kMid));
  CHECK(RtxOriginalSequenceNumber(*rtx) == 0xABCD);
  CHECK(ToVector(rtx->Payload()) == Hex("ab cd 0a 14 1e 28 32"));

  auto unwrapped = RtxToOriginalInPlace(*rtx, 96, 0x11111111);
  REQUIRE(unwrapped);
  CHECK(unwrapped->Data().data() == buffer.data());
  CHECK(ToVector(unwrapped->Data()) == originalBytes);
}

TEST_CASE("RTX wrapping works in place", "[RtxPacket]") {
  const auto originalBytes = BuildOriginal();
  std::vector<uint8_t> buffer = originalBytes;
  buffer.resize(originalBytes.size() + 2, 0xEE);
  auto original = RtpPacket::Parse(std::span<uint8_t>(buffer).first(originalBytes.size()));
  REQUIRE(original);
  auto rtx = OriginalToRtx(*original, buffer, 97, 0x22222222, 7);
  REQUIRE(rtx);
  CHECK(RtxOriginalSequenceNumber(*rtx) == 0xABCD);
  CHECK(ToVector(rtx->Payload().subspan(2)) == ToVector(kPayload));
  auto unwrapped = RtxToOriginalInPlace(*rtx, 96, 0x11111111);
  REQUIRE(unwrapped);
  CHECK(ToVector(unwrapped->Data()) == originalBytes);
}

TEST_CASE("RTX drops the original padding and unwrapping keeps RTX padding", "[RtxPacket]") {
  auto originalBytes = BuildOriginal(4);
  auto original = RtpPacket::Parse(originalBytes);
  REQUIRE(original);
  std::vector<uint8_t> buffer(originalBytes.size() + 2);
  auto rtx = OriginalToRtx(*original, buffer, 97, 2, 3);
  REQUIRE(rtx);
  CHECK_FALSE(rtx->HasPadding());
  CHECK(rtx->Size() == originalBytes.size() - 4 + 2);

  // An RTX packet that itself carries padding: the padding survives the unwrap.
  std::vector<uint8_t> padded(200);
  const std::array<uint8_t, 4> rtxPayload{0x00, 0x05, 0xAA, 0xBB};
  auto written =
      RtpPacketBuilder(padded).SetPayloadType(97).SetPayload(rtxPayload).SetPaddingSize(6).Build();
  auto rtxPadded = RtpPacket::Parse(written);
  REQUIRE(rtxPadded);
  auto back = RtxToOriginalInPlace(*rtxPadded, 96, 9);
  REQUIRE(back);
  CHECK(back->SequenceNumber() == 5);
  CHECK(back->PaddingSize() == 6);
  CHECK(ToVector(back->Payload()) == Hex("aa bb"));
}

TEST_CASE("RTX helpers reject what they cannot convert", "[RtxPacket]") {
  std::vector<uint8_t> buffer(64);
  const std::array<uint8_t, 1> oneByte{1};
  auto written = RtpPacketBuilder(buffer).SetPayload(oneByte).Build();
  auto tooShort = RtpPacket::Parse(written);
  REQUIRE(tooShort);
  CHECK_FALSE(RtxOriginalSequenceNumber(*tooShort));
  CHECK_FALSE(RtxToOriginalInPlace(*tooShort, 96, 1));

  // Padding-only RTX (bandwidth probing) has no OSN.
  std::vector<uint8_t> probeBuffer(64);
  auto probe = RtpPacket::Parse(RtpPacketBuilder(probeBuffer).SetPaddingSize(200 / 4).Build());
  REQUIRE(probe);
  CHECK_FALSE(RtxOriginalSequenceNumber(*probe));

  auto originalBytes = BuildOriginal();
  auto original = RtpPacket::Parse(originalBytes);
  REQUIRE(original);
  std::vector<uint8_t> small(originalBytes.size() + 1);
  CHECK_FALSE(OriginalToRtx(*original, small, 97, 1, 1));
}
