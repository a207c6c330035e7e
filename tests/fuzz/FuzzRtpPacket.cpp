// libFuzzer target for the RTP packet view and the helpers that consume it: parse, read every
// field and extension, remap extension ids on a copy, RTX wrap/unwrap and rebuild. Any broken
// invariant traps so the fuzzer reports it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "rtp/RtpHeaderExtensions.h"
#include "rtp/RtpPacket.h"
#include "rtp/RtpPacketBuilder.h"
#include "rtp/RtxPacket.h"

using namespace myriad::rtp;

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

struct Element {
  uint8_t id;
  size_t offset;  // of the value inside the packet
  size_t size;
};

std::vector<Element> ElementsOf(const RtpPacket& packet) {
  std::vector<Element> elements;
  const uint8_t* base = packet.Data().data();
  packet.ForEachExtension([&](uint8_t id, std::span<uint8_t> value) {
    elements.push_back({id, static_cast<size_t>(value.data() - base), value.size()});
  });
  return elements;
}

void ReadEverything(const RtpPacket& packet) {
  volatile uint64_t sink = 0;
  sink = sink + packet.Version() + packet.HasPadding() + packet.Marker() + packet.PayloadType() +
         packet.SequenceNumber() + packet.Timestamp() + packet.Ssrc() + packet.ExtensionProfile();
  for (size_t i = 0; i < packet.CsrcCount(); ++i) sink = sink + packet.Csrc(i);
  Check(packet.HeaderSize() + packet.PayloadSize() + packet.PaddingSize() == packet.Size());
  for (uint8_t b : packet.Payload()) sink = sink + b;
  for (int id = 0; id < 256; ++id) {
    const std::span<uint8_t> value = packet.GetExtension(static_cast<uint8_t>(id));
    for (uint8_t b : value) sink = sink + b;
    // Values always lie inside the extension block.
    if (!value.empty()) {
      const std::span<uint8_t> block = packet.ExtensionData();
      Check(value.data() >= block.data() &&
            value.data() + value.size() <= block.data() + block.size());
    }
    if (auto level = ReadAudioLevel(value)) sink = sink + level->level;
    if (auto seq = ReadTransportSequenceNumber(value)) sink = sink + *seq;
    if (auto abs = ReadAbsSendTime(value)) sink = sink + AbsSendTimeToMicros(*abs);
    if (auto cvo = ReadVideoOrientation(value)) sink = sink + cvo->rotationDegrees;
    sink = sink + ReadStringExtension(value).size();
  }
}

void CheckRemap(const std::vector<uint8_t>& original, const ExtensionIdMap& map) {
  std::vector<uint8_t> copy = original;
  auto before = RtpPacket::Parse(copy);
  Check(before.has_value());
  const std::vector<Element> elements = ElementsOf(*before);
  const bool oneByte = before->HasOneByteExtensions();
  before->RemapExtensionIds(map);

  auto after = RtpPacket::Parse(copy);
  Check(after.has_value());
  Check(after->HeaderSize() == before->HeaderSize() && after->Size() == original.size());
  // Only the extension block may change.
  const size_t blockStart = after->ExtensionData().data() - copy.data();
  const size_t blockEnd = blockStart + after->ExtensionData().size();
  Check(std::memcmp(copy.data(), original.data(), after->HasExtension() ? blockStart : 0) == 0);
  Check(std::memcmp(copy.data() + blockEnd, original.data() + blockEnd, copy.size() - blockEnd) ==
        0);

  // Every kept element keeps its value at the same place under its new id; dropped ones are
  // zero bytes. Nothing else appears.
  const std::vector<Element> remapped = ElementsOf(*after);
  size_t next = 0;
  for (const Element& e : elements) {
    const uint8_t newId = map[e.id];
    const bool dropped = newId == 0 || (oneByte && newId > RtpPacket::kMaxOneByteExtensionId);
    if (dropped) {
      for (size_t i = 0; i < e.size; ++i) Check(copy[e.offset + i] == 0);
      continue;
    }
    Check(next < remapped.size());
    Check(remapped[next].id == newId && remapped[next].offset == e.offset &&
          remapped[next].size == e.size);
    Check(std::memcmp(copy.data() + e.offset, original.data() + e.offset, e.size) == 0);
    ++next;
  }
  Check(next == remapped.size());
}

void CheckRtxRoundTrip(const RtpPacket& packet) {
  std::vector<uint8_t> rtxBuffer(packet.Size() + kRtxOsnSize);
  auto rtx = OriginalToRtx(packet, rtxBuffer, 97, 0x5EED, 1234);
  Check(rtx.has_value());
  Check(RtxOriginalSequenceNumber(*rtx) == packet.SequenceNumber());
  auto back = RtxToOriginalInPlace(*rtx, packet.PayloadType(), packet.Ssrc());
  Check(back.has_value());
  Check(back->HeaderSize() == packet.HeaderSize());
  Check(back->PaddingSize() == 0);
  Check(back->SequenceNumber() == packet.SequenceNumber());
  Check(back->Marker() == packet.Marker());
  Check(back->Timestamp() == packet.Timestamp());
  Check(back->PayloadSize() == packet.PayloadSize());
  Check(std::memcmp(back->Payload().data(), packet.Payload().data(), packet.PayloadSize()) == 0);
  // Header bytes other than the P bit are identical.
  Check((back->Data()[0] | 0x20) == (packet.Data()[0] | 0x20));
  Check(std::memcmp(back->Data().data() + 1, packet.Data().data() + 1, packet.HeaderSize() - 1) ==
        0);
}

void CheckRebuild(const RtpPacket& packet) {
  const std::vector<Element> elements = ElementsOf(packet);
  if (elements.size() > RtpPacketBuilder::kMaxExtensions) return;
  std::vector<uint8_t> buffer(packet.Size() + 4 * 256);
  RtpPacketBuilder builder(buffer);
  builder.SetPayloadType(packet.PayloadType())
      .SetMarker(packet.Marker())
      .SetSequenceNumber(packet.SequenceNumber())
      .SetTimestamp(packet.Timestamp())
      .SetSsrc(packet.Ssrc())
      .SetPayload(packet.Payload())
      .SetPaddingSize(static_cast<uint8_t>(packet.PaddingSize()));
  for (size_t i = 0; i < packet.CsrcCount(); ++i) builder.AddCsrc(packet.Csrc(i));
  for (const Element& e : elements) {
    builder.AddExtension(e.id, packet.Data().subspan(e.offset, e.size));
  }
  auto rebuilt = RtpPacket::Parse(builder.Build());
  Check(rebuilt.has_value());
  Check(rebuilt->SequenceNumber() == packet.SequenceNumber());
  Check(rebuilt->Ssrc() == packet.Ssrc());
  Check(rebuilt->PaddingSize() == packet.PaddingSize());
  Check(rebuilt->PayloadSize() == packet.PayloadSize());
  const std::vector<Element> again = ElementsOf(*rebuilt);
  Check(again.size() == elements.size());
  for (size_t i = 0; i < again.size(); ++i) {
    Check(again[i].id == elements[i].id && again[i].size == elements[i].size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Own the bytes in an exactly-sized allocation so ASan catches any read past the end.
  std::vector<uint8_t> buffer(data, data + size);
  auto packet = RtpPacket::Parse(buffer);
  if (!packet) return 0;
  ReadEverything(*packet);

  // A remap table derived from the input, plus the two interesting fixed ones.
  ExtensionIdMap map{};
  for (size_t i = 0; i < map.size(); ++i) {
    map[i] = size ? static_cast<uint8_t>(data[i % size] ^ i) : 0;
  }
  CheckRemap(buffer, map);
  ExtensionIdMap identity{};
  for (size_t i = 0; i < identity.size(); ++i) identity[i] = static_cast<uint8_t>(i);
  CheckRemap(buffer, identity);
  CheckRemap(buffer, ExtensionIdMap{});

  CheckRtxRoundTrip(*packet);
  CheckRebuild(*packet);

  // In-place setters must not disturb the framing.
  packet->SetPayloadType(static_cast<uint8_t>(packet->PayloadType() + 1));
  packet->SetMarker(!packet->Marker());
  packet->SetSequenceNumber(static_cast<uint16_t>(packet->SequenceNumber() + 1));
  packet->SetSsrc(~packet->Ssrc());
  auto reparsed = RtpPacket::Parse(buffer);
  Check(reparsed.has_value() && reparsed->HeaderSize() == packet->HeaderSize());
  return 0;
}
