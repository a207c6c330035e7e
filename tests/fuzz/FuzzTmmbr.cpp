// libFuzzer target for TMMBR and TMMBN (rtp/Tmmbr.h, rtp/Tmmbn.h, rtp/TmmbrEntry.h). Both parsers
// see every input: what parses re-serializes from its fields to a packet that parses to the
// same entries, byte for byte when the input had no RTCP padding (every bit of an entry is a
// field). The first 8 bytes, read as a bit rate, check the exp/mantissa encoding: never above
// the input, short of it by less than 2^exp, and idempotent. Broken invariants trap.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "rtp/BigEndian.h"
#include "rtp/RtcpHeader.h"
#include "rtp/Tmmbn.h"
#include "rtp/Tmmbr.h"
#include "rtp/TmmbrEntry.h"

using myriad::rtp::ReadBigEndian64;
using myriad::rtp::RtcpHeader;
using myriad::rtp::Tmmbn;
using myriad::rtp::Tmmbr;
using myriad::rtp::TmmbrEntry;

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

bool SameBytes(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

// Tmmbr and Tmmbn have the same shape; only whether zero entries are allowed differs.
template <typename Message>
void FuzzMessage(std::span<uint8_t> packet, bool emptyAllowed) {
  std::optional<Message> message = Message::Parse(packet);
  if (!message) return;
  Check(emptyAllowed || message->EntryCount() > 0);
  std::vector<TmmbrEntry> entries;
  for (size_t i = 0; i < message->EntryCount(); ++i) {
    const TmmbrEntry entry = message->EntryAt(i);
    Check(entry.IsValid());
    Check(entry.BitrateBps() >= entry.mantissa);
    entries.push_back(entry);
  }
  const typename Message::Fields fields{message->SenderSsrc(), message->MediaSsrc(), entries};
  std::vector<uint8_t> out(Message::SerializedSize(fields));
  Check(!out.empty() && Message::Serialize(fields, out) == out.size());
  std::optional<Message> again = Message::Parse(out);
  Check(again && again->EntryCount() == entries.size());
  Check(again->SenderSsrc() == message->SenderSsrc() && again->MediaSsrc() == message->MediaSsrc());
  for (size_t i = 0; i < entries.size(); ++i) Check(again->EntryAt(i) == entries[i]);
  if (!message->Header().HasPadding()) Check(SameBytes(message->Header().Packet(), out));

  for (size_t i = 0; i < entries.size(); ++i) message->SetEntrySsrc(i, entries[i].ssrc + 1);
  for (size_t i = 0; i < entries.size(); ++i) {
    Check(message->EntryAt(i).ssrc == entries[i].ssrc + 1);
    Check(message->EntryAt(i).mantissa == entries[i].mantissa);
  }
  message->SetSenderSsrc(0);
}

void FuzzBitrate(uint64_t bps, uint16_t overhead) {
  const TmmbrEntry::EncodedBitrate encoded = TmmbrEntry::EncodeBitrate(bps);
  Check(encoded.mantissa <= TmmbrEntry::kMaxMantissa && encoded.exponent <= 47);
  const uint64_t decoded = TmmbrEntry::DecodeBitrate(encoded.exponent, encoded.mantissa);
  Check(decoded <= bps && bps - decoded < (uint64_t{1} << encoded.exponent));
  Check(encoded.exponent == 0 || (bps >> (encoded.exponent - 1)) > TmmbrEntry::kMaxMantissa);
  Check(TmmbrEntry::EncodeBitrate(decoded) == encoded);

  const TmmbrEntry entry = TmmbrEntry::FromBitrate(7, bps, overhead);
  Check(entry.IsValid() && entry.BitrateBps() == decoded);
  uint8_t bytes[TmmbrEntry::kSize];
  entry.Write(bytes);
  Check(TmmbrEntry::Read(bytes) == entry);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Parse from an exactly-sized copy of the first packet so ASan sees any read past its end.
  std::vector<uint8_t> buffer(data, data + size);
  if (auto header = RtcpHeader::Parse(buffer)) {
    std::vector<uint8_t> single(header->Packet().begin(), header->Packet().end());
    FuzzMessage<Tmmbr>(single, false);
    FuzzMessage<Tmmbn>(single, true);
    // Not both: FMT 3 and 4 are different messages.
    Check(!(Tmmbr::Parse(single) && Tmmbn::Parse(single)));
  }
  if (size >= 10) FuzzBitrate(ReadBigEndian64(data), static_cast<uint16_t>(data[8] << 8 | data[9]));
  return 0;
}
