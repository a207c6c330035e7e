// libFuzzer target for RPSI (rtp/Rpsi.h), the generic view and Myriad's LTR layout. The input is
// used twice: as an RTCP packet (whatever parses re-serializes to a packet that parses to the
// same fields, serializing that again gives the same bytes, and a canonical input comes back
// byte for byte), and as Serialize fields:
//   [payload type][bit length, 16 bits big endian][native bit string ...]
// which must serialize exactly when valid and parse back to themselves. Broken invariants trap.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "rtp/Rpsi.h"
#include "rtp/RtcpHeader.h"

using myriad::rtp::Rpsi;
using myriad::rtp::RtcpHeader;

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

bool SameBytes(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

// The bit strings agree on their first `bits` bits (what follows is padding).
bool SameBits(std::span<const uint8_t> a, std::span<const uint8_t> b, size_t bits) {
  const size_t whole = bits / 8;
  if (a.size() < (bits + 7) / 8 || b.size() < (bits + 7) / 8) return false;
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  if (bits % 8 == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF << (8 - bits % 8));
  return (a[whole] & mask) == (b[whole] & mask);
}

std::vector<uint8_t> SerializeFieldsOf(const Rpsi& rpsi, std::vector<uint8_t>& bitString) {
  const std::span<const uint8_t> native = rpsi.NativeBitString();
  bitString.assign(native.begin(), native.end());
  const Rpsi::Fields fields{rpsi.SenderSsrc(), rpsi.MediaSsrc(), rpsi.PayloadType(), bitString,
                            rpsi.NativeBitLength()};
  std::vector<uint8_t> out(Rpsi::SerializedSize(fields));
  Check(!out.empty() && Rpsi::Serialize(fields, out) == out.size());
  return out;
}

void FuzzPacket(std::span<uint8_t> packet) {
  const std::optional<Rpsi> rpsi = Rpsi::Parse(packet);
  const std::optional<Rpsi::LtrMessage> ltr = Rpsi::ParseLtr(packet);
  if (!rpsi) {
    Check(!ltr);
    return;
  }
  const std::span<uint8_t> fci = rpsi->Header().Body().subspan(8);
  const size_t bits = rpsi->NativeBitLength();
  Check(bits >= 1 && fci.size() >= 3);
  Check(rpsi->PaddingBits() + bits == 8 * (fci.size() - 2));
  Check(rpsi->NativeBitString().size() == (bits + 7) / 8);
  Check(rpsi->PayloadType() <= Rpsi::kMaxPayloadType);
  Check(rpsi->ToLtr() == ltr);

  std::vector<uint8_t> bitString;
  std::vector<uint8_t> out = SerializeFieldsOf(*rpsi, bitString);
  const std::optional<Rpsi> again = Rpsi::Parse(out);
  Check(again.has_value());
  Check(again->SenderSsrc() == rpsi->SenderSsrc() && again->MediaSsrc() == rpsi->MediaSsrc());
  Check(again->PayloadType() == rpsi->PayloadType());
  Check(again->NativeBitLength() == bits && again->PaddingBits() < 32);
  Check(SameBits(again->NativeBitString(), rpsi->NativeBitString(), bits));
  Check(again->ToLtr() == ltr);
  std::vector<uint8_t> bitStringAgain;
  Check(SerializeFieldsOf(*again, bitStringAgain) == out);

  // Canonical: no RTCP padding, the 0 bit clear, the smallest PB and zero padding bits.
  bool canonical = !rpsi->Header().HasPadding() && (fci[1] & 0x80) == 0 && rpsi->PaddingBits() < 32;
  const size_t stringEnd = 2 + (bits + 7) / 8;
  if (bits % 8 != 0 && (fci[stringEnd - 1] & static_cast<uint8_t>(0xFF >> (bits % 8))) != 0) {
    canonical = false;
  }
  for (size_t i = stringEnd; i < fci.size(); ++i) canonical = canonical && fci[i] == 0;
  if (canonical) Check(SameBytes(rpsi->Header().Packet(), out));

  if (ltr) {
    Check(bits == Rpsi::kLtrBitLength);
    std::vector<uint8_t> ltrOut(Rpsi::kLtrSize);
    Check(Rpsi::SerializeLtr(*ltr, ltrOut) == Rpsi::kLtrSize);
    Check(Rpsi::ParseLtr(ltrOut) == ltr);
    // The reserved byte is the only thing an LTR re-serialisation may change.
    if (canonical && fci[3] == 0) Check(ltrOut == out);
  }

  Rpsi copy = *rpsi;
  copy.SetSenderSsrc(rpsi->SenderSsrc() ^ 1);
  copy.SetMediaSsrc(rpsi->MediaSsrc() ^ 2);
  Check(Rpsi::Parse(packet)->NativeBitLength() == bits);
}

void FuzzFields(std::span<const uint8_t> data) {
  if (data.size() < 3) return;
  const uint8_t payloadType = data[0];
  const size_t bits = (size_t{data[1]} << 8) | data[2];
  const std::span<const uint8_t> bitString = data.subspan(3);
  const Rpsi::Fields fields{0x01020304, 0x05060708, payloadType, bitString, bits};
  const bool valid =
      payloadType <= Rpsi::kMaxPayloadType && bits >= 1 && bits <= 8 * bitString.size();
  const size_t size = Rpsi::SerializedSize(fields);
  Check((size != 0) == valid);
  if (!valid) return;
  Check(size % 4 == 0 && size >= Rpsi::kMinSize);
  std::vector<uint8_t> out(size);
  Check(Rpsi::Serialize(fields, out) == size);
  std::vector<uint8_t> small(size - 1);
  Check(Rpsi::Serialize(fields, small) == 0);
  const std::optional<Rpsi> parsed = Rpsi::Parse(out);
  Check(parsed && parsed->PayloadType() == payloadType && parsed->NativeBitLength() == bits);
  Check(SameBits(parsed->NativeBitString(), bitString, bits));
  Check(parsed->MediaSsrc() == 0x05060708);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Parse from an exactly-sized copy of the first packet so ASan sees any read past its end.
  std::vector<uint8_t> buffer(data, data + size);
  if (auto header = RtcpHeader::Parse(buffer)) {
    std::vector<uint8_t> single(header->Packet().begin(), header->Packet().end());
    FuzzPacket(single);
  }
  FuzzPacket(buffer);
  FuzzFields({data, size});
  return 0;
}
