// libFuzzer target for the VP8 wire formats and the PictureID rewriter. The input is used twice:
// as one RTP payload (descriptor parse, every field, Serialize round trip, in-place setters on a
// copy, key frame header), and as a list of records fed through a Vp8PictureIdRewriter:
//   [op][length][length bytes of RTP payload] ...
//   op bits 0-1: source id; bit 2: SwitchSource(source) before the packet.
// Any broken invariant traps so the fuzzer reports it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "rtp/Vp8KeyFrameHeader.h"
#include "rtp/Vp8PayloadDescriptor.h"
#include "simulcast/Vp8PictureIdRewriter.h"

using myriad::rtp::Vp8KeyFrameHeader;
using myriad::rtp::Vp8PayloadDescriptor;
using myriad::simulcast::Vp8PictureIdRewriter;
using Fields = Vp8PayloadDescriptor::Fields;

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void ReadKeyFrameHeader(std::span<const uint8_t> bytes) {
  auto header = Vp8KeyFrameHeader::Parse(bytes);
  if (!header) return;
  Check(bytes.size() >= Vp8KeyFrameHeader::kSize && (bytes[0] & 0x01) == 0);
  Check(header->Width() > 0 && header->Width() <= 0x3FFF);
  Check(header->Height() > 0 && header->Height() <= 0x3FFF);
  Check(header->HorizontalScale() <= 3 && header->VerticalScale() <= 3);
  Check(header->Version() <= 7 && header->FirstPartitionSize() < (1u << 19));
  volatile uint32_t sink = header->ShowFrame();
  (void)sink;
}

// Which bits of each descriptor octet Parse reads; the rest (R, RSV, and the half of the T/K
// octet whose flag is clear) Serialize writes as zero.
std::array<uint8_t, Vp8PayloadDescriptor::kMaxSize> MeaningfulBits(const Fields& f) {
  std::array<uint8_t, Vp8PayloadDescriptor::kMaxSize> mask{};
  size_t pos = 0;
  mask[pos++] = 0xB7;  // X N S PID
  mask[pos++] = 0xF0;  // I L T K
  if (f.hasPictureId) {
    mask[pos++] = 0xFF;
    if (f.pictureIdIs15Bit) mask[pos++] = 0xFF;
  }
  if (f.hasTl0PicIdx) mask[pos++] = 0xFF;
  if (f.hasTid || f.hasKeyIdx) {
    mask[pos++] = static_cast<uint8_t>((f.hasTid ? 0xE0 : 0) | (f.hasKeyIdx ? 0x1F : 0));
  }
  return mask;
}

void CheckDescriptor(const std::vector<uint8_t>& original, uint16_t newPictureId,
                     uint8_t newTl0PicIdx) {
  std::vector<uint8_t> buffer = original;
  auto d = Vp8PayloadDescriptor::Parse(buffer);
  if (!d) return;
  const Fields fields = d->ToFields();
  const size_t size = d->DescriptorSize();
  Check(size >= 1 && size <= Vp8PayloadDescriptor::kMaxSize);
  Check(size + d->Payload().size() == buffer.size() && !d->Payload().empty());
  Check(fields.partitionIndex <= Vp8PayloadDescriptor::kMaxPartitionIndex);
  Check(fields.pictureId <= (fields.pictureIdIs15Bit ? Vp8PayloadDescriptor::kMaxPictureId15Bit
                                                     : Vp8PayloadDescriptor::kMaxPictureId7Bit));
  Check(fields.tid <= Vp8PayloadDescriptor::kMaxTid);
  Check(fields.keyIdx <= Vp8PayloadDescriptor::kMaxKeyIdx);
  const bool anyOptional =
      fields.hasPictureId || fields.hasTl0PicIdx || fields.hasTid || fields.hasKeyIdx;
  Check(!anyOptional || d->HasExtension());
  if (d->IsKeyFrame()) {
    Check(fields.startOfPartition && fields.partitionIndex == 0 && (d->Payload()[0] & 1) == 0);
  }

  // Serialize the parsed fields: the same octets up to ignored bits, and the same fields back.
  std::array<uint8_t, Vp8PayloadDescriptor::kMaxSize> out{};
  const size_t written = Vp8PayloadDescriptor::Serialize(fields, out);
  Check(written == Vp8PayloadDescriptor::SerializedSize(fields));
  // An X octet that announces nothing is the one thing Serialize leaves out.
  const bool emptyExtension = d->HasExtension() && !anyOptional;
  Check(written == size - (emptyExtension ? 1 : 0));
  if (!emptyExtension) {
    const auto mask = MeaningfulBits(fields);
    for (size_t i = 0; i < written; ++i) Check(out[i] == (buffer[i] & mask[i]));
  }
  std::vector<uint8_t> rebuilt(out.begin(), out.begin() + static_cast<ptrdiff_t>(written));
  rebuilt.insert(rebuilt.end(), d->Payload().begin(), d->Payload().end());
  auto again = Vp8PayloadDescriptor::Parse(rebuilt);
  Check(again.has_value());
  Check(again->ToFields() == fields && again->DescriptorSize() == written);
  Check(again->IsKeyFrame() == d->IsKeyFrame());

  // Setters change only their field, in its width, and never the size.
  d->SetPictureId(newPictureId);
  d->SetTl0PicIdx(newTl0PicIdx);
  auto after = Vp8PayloadDescriptor::Parse(buffer);
  Check(after.has_value() && after->DescriptorSize() == size);
  Fields expected = fields;
  if (fields.hasPictureId) {
    expected.pictureId = static_cast<uint16_t>(
        newPictureId & (fields.pictureIdIs15Bit ? Vp8PayloadDescriptor::kMaxPictureId15Bit
                                                : Vp8PayloadDescriptor::kMaxPictureId7Bit));
  }
  if (fields.hasTl0PicIdx) expected.tl0PicIdx = newTl0PicIdx;
  Check(after->ToFields() == expected);
  Check(buffer[0] == original[0] && (size < 2 || buffer[1] == original[1]));
  Check(std::memcmp(buffer.data() + size, original.data() + size, buffer.size() - size) == 0);

  ReadKeyFrameHeader(after->Payload());
}

// Feeds one packet to the rewriter and checks what it did; then the same packet again, which
// must come out the same (one picture, one id).
void CheckRewrite(Vp8PictureIdRewriter& rewriter, const std::vector<uint8_t>& original,
                  uint32_t source) {
  std::vector<uint8_t> first = original;
  auto d = Vp8PayloadDescriptor::Parse(first);
  if (!d) return;
  const Fields before = d->ToFields();
  const bool accepted = rewriter.Rewrite(*d, source);
  auto after = Vp8PayloadDescriptor::Parse(first);
  Check(after.has_value() && after->DescriptorSize() == d->DescriptorSize());
  if (!accepted) {
    Check(first == original);
  } else {
    Fields fields = after->ToFields();
    fields.pictureId = before.pictureId;
    fields.tl0PicIdx = before.tl0PicIdx;
    Check(fields == before);
    Check(std::memcmp(first.data() + after->DescriptorSize(),
                      original.data() + after->DescriptorSize(),
                      first.size() - after->DescriptorSize()) == 0);
  }

  std::vector<uint8_t> second = original;
  auto repeat = Vp8PayloadDescriptor::Parse(second);
  Check(rewriter.Rewrite(*repeat, source) == accepted);
  Check(second == first);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Own the bytes in an exactly-sized allocation so ASan catches any read past the end.
  const std::vector<uint8_t> whole(data, data + size);
  const uint16_t pictureId = size >= 2 ? static_cast<uint16_t>(data[0] << 8 | data[1]) : 0x7FFF;
  const uint8_t tl0PicIdx = size >= 1 ? static_cast<uint8_t>(~data[size - 1]) : 0;
  CheckDescriptor(whole, pictureId, tl0PicIdx);
  ReadKeyFrameHeader(whole);

  Vp8PictureIdRewriter rewriter;
  size_t pos = 0;
  while (pos + 2 <= size) {
    const uint8_t op = data[pos];
    const size_t length = data[pos + 1];
    pos += 2;
    if (length > size - pos) break;
    const std::vector<uint8_t> packet(data + pos, data + pos + length);
    pos += length;
    const uint32_t source = op & 0x03;
    if ((op & 0x04) != 0) rewriter.SwitchSource(source);
    CheckDescriptor(packet, static_cast<uint16_t>(op * 257), op);
    CheckRewrite(rewriter, packet, source);
  }
  return 0;
}
