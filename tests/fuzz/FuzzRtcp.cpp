// libFuzzer target for RTCP: compound framing, every message parser (run on every packet, not
// only the matching type, to exercise the type checks), SSRC setters, and re-serialising what
// parsed, which must parse again to the same values. Broken invariants trap.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "rtp/Bye.h"
#include "rtp/Fir.h"
#include "rtp/GenericNack.h"
#include "rtp/Pli.h"
#include "rtp/ReceiverReport.h"
#include "rtp/Remb.h"
#include "rtp/ReportBlock.h"
#include "rtp/RtcpCompound.h"
#include "rtp/RtcpHeader.h"
#include "rtp/Sdes.h"
#include "rtp/SenderReport.h"
#include "rtp/TransportCcFeedback.h"
#include "rtp/TransportCcFeedbackBuilder.h"

using namespace myriad::rtp;

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

// The packet without padding and without bytes beyond what the message format describes is
// what a re-serialisation must reproduce exactly.
bool SameBytes(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

template <typename Message>
std::vector<ReportBlock::Fields> BlocksOf(const Message& message) {
  std::vector<ReportBlock::Fields> blocks;
  for (size_t i = 0; i < message.ReportBlockCount(); ++i) {
    blocks.push_back(message.ReportBlockAt(i).ToFields());
  }
  return blocks;
}

void FuzzSenderReport(std::span<uint8_t> packet) {
  auto sr = SenderReport::Parse(packet);
  if (!sr) return;
  const auto blocks = BlocksOf(*sr);
  const SenderReport::Fields fields{sr->SenderSsrc(),  sr->NtpTimestamp(), sr->RtpTimestamp(),
                                    sr->PacketCount(), sr->OctetCount(),   blocks};
  std::vector<uint8_t> out(SenderReport::SerializedSize(fields));
  Check(SenderReport::Serialize(fields, out) == out.size());
  auto again = SenderReport::Parse(out);
  Check(again && again->NtpTimestamp() == sr->NtpTimestamp() && BlocksOf(*again) == blocks);
  if (!sr->Header().HasPadding() && packet.size() == out.size()) Check(SameBytes(packet, out));
  sr->SetSenderSsrc(sr->SenderSsrc() ^ 1);
  for (size_t i = 0; i < sr->ReportBlockCount(); ++i) {
    sr->ReportBlockAt(i).SetSourceSsrc(static_cast<uint32_t>(i));
  }
}

void FuzzReceiverReport(std::span<uint8_t> packet) {
  auto rr = ReceiverReport::Parse(packet);
  if (!rr) return;
  const auto blocks = BlocksOf(*rr);
  const ReceiverReport::Fields fields{rr->SenderSsrc(), blocks};
  std::vector<uint8_t> out(ReceiverReport::SerializedSize(fields));
  Check(ReceiverReport::Serialize(fields, out) == out.size());
  auto again = ReceiverReport::Parse(out);
  Check(again && again->SenderSsrc() == rr->SenderSsrc() && BlocksOf(*again) == blocks);
  if (!rr->Header().HasPadding() && packet.size() == out.size()) Check(SameBytes(packet, out));
  rr->SetSenderSsrc(0);
}

void FuzzSdes(std::span<uint8_t> packet) {
  auto sdes = Sdes::Parse(packet);
  if (!sdes) return;
  // Own copies of the items: the spans in Fields must outlive Serialize.
  std::vector<std::vector<Sdes::ItemFields>> items;
  std::vector<uint32_t> ssrcs;
  std::vector<std::vector<std::pair<uint8_t, std::string>>> expected;
  size_t count = 0;
  for (Sdes::Chunk chunk : *sdes) {
    ++count;
    ssrcs.push_back(chunk.Ssrc());
    items.emplace_back();
    expected.emplace_back();
    chunk.ForEachItem([&](uint8_t type, std::span<uint8_t> value) {
      const std::string_view text(reinterpret_cast<const char*>(value.data()), value.size());
      items.back().push_back({type, text});
      expected.back().emplace_back(type, std::string(text));
    });
    volatile size_t sink = chunk.Cname().size();
    (void)sink;
  }
  Check(count == sdes->ChunkCount());
  std::vector<Sdes::ChunkFields> chunks;
  for (size_t i = 0; i < ssrcs.size(); ++i) chunks.push_back({ssrcs[i], items[i]});
  const Sdes::Fields fields{chunks};
  std::vector<uint8_t> out(Sdes::SerializedSize(fields));
  Check(!out.empty() && Sdes::Serialize(fields, out) == out.size());
  auto again = Sdes::Parse(out);
  Check(again.has_value());
  size_t i = 0;
  for (Sdes::Chunk chunk : *again) {
    Check(chunk.Ssrc() == ssrcs[i]);
    std::vector<std::pair<uint8_t, std::string>> seen;
    chunk.ForEachItem([&](uint8_t type, std::span<uint8_t> value) {
      seen.emplace_back(type, std::string(value.begin(), value.end()));
    });
    Check(seen == expected[i]);
    ++i;
  }
  Check(i == ssrcs.size());
  for (Sdes::Chunk chunk : *sdes) chunk.SetSsrc(chunk.Ssrc() + 1);
}

void FuzzBye(std::span<uint8_t> packet) {
  auto bye = Bye::Parse(packet);
  if (!bye) return;
  std::vector<uint32_t> ssrcs;
  for (size_t i = 0; i < bye->SsrcCount(); ++i) ssrcs.push_back(bye->SsrcAt(i));
  const std::string reason(bye->Reason());
  const Bye::Fields fields{ssrcs, reason};
  std::vector<uint8_t> out(Bye::SerializedSize(fields));
  Check(!out.empty() && Bye::Serialize(fields, out) == out.size());
  auto again = Bye::Parse(out);
  Check(again && again->SsrcCount() == ssrcs.size() && again->Reason() == reason);
  for (size_t i = 0; i < ssrcs.size(); ++i) {
    Check(again->SsrcAt(i) == ssrcs[i]);
    bye->SetSsrcAt(i, 0);
  }
}

void FuzzGenericNack(std::span<uint8_t> packet) {
  auto nack = GenericNack::Parse(packet);
  if (!nack) return;
  std::vector<uint16_t> lost;
  nack->ForEachLostSequenceNumber([&](uint16_t seq) { lost.push_back(seq); });
  Check(!lost.empty());
  const GenericNack::Fields fields{nack->SenderSsrc(), nack->MediaSsrc(), lost};
  std::vector<uint8_t> out(GenericNack::SerializedSize(fields));
  Check(GenericNack::Serialize(fields, out) == out.size());
  auto again = GenericNack::Parse(out);
  Check(again.has_value());
  std::set<uint16_t> before(lost.begin(), lost.end()), after;
  again->ForEachLostSequenceNumber([&](uint16_t seq) { after.insert(seq); });
  Check(before == after);
  nack->SetSenderSsrc(1);
  nack->SetMediaSsrc(2);
}

void FuzzPli(std::span<uint8_t> packet) {
  auto pli = Pli::Parse(packet);
  if (!pli) return;
  std::vector<uint8_t> out(Pli::kSize);
  Check(Pli::Serialize(Pli::Fields{pli->SenderSsrc(), pli->MediaSsrc()}, out) == Pli::kSize);
  auto again = Pli::Parse(out);
  Check(again && again->MediaSsrc() == pli->MediaSsrc());
  pli->SetMediaSsrc(3);
}

void FuzzFir(std::span<uint8_t> packet) {
  auto fir = Fir::Parse(packet);
  if (!fir) return;
  std::vector<Fir::Entry> entries;
  for (size_t i = 0; i < fir->EntryCount(); ++i) entries.push_back(fir->EntryAt(i));
  const Fir::Fields fields{fir->SenderSsrc(), fir->MediaSsrc(), entries};
  std::vector<uint8_t> out(Fir::SerializedSize(fields));
  Check(Fir::Serialize(fields, out) == out.size());
  auto again = Fir::Parse(out);
  Check(again && again->EntryCount() == entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    Check(again->EntryAt(i) == entries[i]);
    fir->SetEntrySsrc(i, 0);
  }
}

void FuzzRemb(std::span<uint8_t> packet) {
  auto remb = Remb::Parse(packet);
  if (!remb) return;
  std::vector<uint32_t> ssrcs;
  for (size_t i = 0; i < remb->SsrcCount(); ++i) ssrcs.push_back(remb->SsrcAt(i));
  const uint64_t bitrate = remb->BitrateBps();
  const Remb::Fields fields{remb->SenderSsrc(), bitrate, ssrcs};
  std::vector<uint8_t> out(Remb::SerializedSize(fields));
  Check(Remb::Serialize(fields, out) == out.size());
  auto again = Remb::Parse(out);
  Check(again && again->SsrcCount() == ssrcs.size());
  // Re-encoding never increases the bitrate and loses at most the truncated low bits.
  Check(again->BitrateBps() <= bitrate);
  Check((bitrate - again->BitrateBps()) >> again->Exponent() == 0);
  for (size_t i = 0; i < ssrcs.size(); ++i) remb->SetSsrcAt(i, again->SsrcAt(i) + 1);
}

void FuzzTransportCc(std::span<uint8_t> packet) {
  auto feedback = TransportCcFeedback::Parse(packet);
  if (!feedback) return;
  std::map<uint16_t, int64_t> expected;
  size_t count = 0;
  size_t received = 0;
  for (const auto& status : *feedback) {
    Check(status.sequenceNumber == static_cast<uint16_t>(feedback->BaseSequenceNumber() + count));
    ++count;
    if (status.received) {
      ++received;
      expected[status.sequenceNumber] = status.arrivalTimeUs;
    }
  }
  Check(count == feedback->PacketStatusCount() && received == feedback->ReceivedCount());

  // Rebuild the same information with the builder, flushing whenever it asks to.
  TransportCcFeedbackBuilder builder(feedback->SenderSsrc(), feedback->MediaSsrc());
  std::map<uint16_t, int64_t> reported;
  auto flush = [&] {
    std::vector<uint8_t> out(builder.SerializedSize());
    Check(!out.empty() && builder.Serialize(out) == out.size());
    auto again = TransportCcFeedback::Parse(out);
    Check(again.has_value());
    for (const auto& status : *again) {
      if (status.received)
        Check(reported.emplace(status.sequenceNumber, status.arrivalTimeUs).second);
    }
    builder.StartNextFeedback();
  };
  // Feed in status order (wrap order from the base), not map order.
  for (const auto& status : *feedback) {
    if (!status.received) continue;
    auto result = builder.AddReceivedPacket(status.sequenceNumber, status.arrivalTimeUs);
    if (result == TransportCcFeedbackBuilder::AddResult::kFeedbackFull) {
      flush();
      result = builder.AddReceivedPacket(status.sequenceNumber, status.arrivalTimeUs);
      Check(result != TransportCcFeedbackBuilder::AddResult::kFeedbackFull);
    }
    // A jump of more than half the seq space after a flush looks like an old packet.
    if (result == TransportCcFeedbackBuilder::AddResult::kTooOld) {
      expected.erase(status.sequenceNumber);
    }
  }
  if (!builder.Empty()) flush();
  Check(reported.size() == expected.size());
  // The reference time is 24 bits of 64 ms: arrival times agree modulo that wrap.
  constexpr int64_t kWrapUs = (int64_t{1} << 24) * TransportCcFeedback::kReferenceTimeTickUs;
  for (const auto& [seq, at] : expected) {
    auto found = reported.find(seq);
    Check(found != reported.end());
    Check((found->second - at) % kWrapUs == 0);
  }
  feedback->SetSenderSsrc(0);
  feedback->SetMediaSsrc(0);
}

void FuzzOnePacket(std::span<uint8_t> packet) {
  auto header = RtcpHeader::Parse(packet);
  Check(header.has_value() && header->PacketSize() == packet.size());
  Check(header->Body().size() + RtcpHeader::kSize + header->PaddingSize() == packet.size());
  // Every parser sees every packet; all but the matching type must refuse it.
  FuzzSenderReport(packet);
  FuzzReceiverReport(packet);
  FuzzSdes(packet);
  FuzzBye(packet);
  FuzzGenericNack(packet);
  FuzzPli(packet);
  FuzzFir(packet);
  FuzzRemb(packet);
  FuzzTransportCc(packet);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> buffer(data, data + size);
  auto compound = RtcpCompound::Parse(buffer);
  if (!compound) {
    // Still give the single-packet parsers a go at the raw input.
    if (auto header = RtcpHeader::Parse(buffer)) {
      std::vector<uint8_t> single(header->Packet().begin(), header->Packet().end());
      FuzzOnePacket(single);
    }
    return 0;
  }
  size_t packets = 0;
  size_t bytes = 0;
  for (RtcpHeader header : *compound) {
    ++packets;
    bytes += header.PacketSize();
    // Parse each packet from its own exactly-sized copy so ASan sees reads past its end.
    std::vector<uint8_t> single(header.Packet().begin(), header.Packet().end());
    FuzzOnePacket(single);
  }
  Check(packets == compound->PacketCount() && bytes == size);
  return 0;
}
