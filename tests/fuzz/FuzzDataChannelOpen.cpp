// libFuzzer target for the Data Channel Establishment Protocol messages (RFC 8832 5):
// rtp/DataChannelOpen.h and rtp/DataChannelAck.h. The input is used twice: as a message
// (whatever parses re-serializes to a message that parses to the same fields, and a canonical
// input, one whose reliable channel carries parameter 0, comes back byte for byte; an ACK is
// exactly the byte 0x02), and as Serialize fields:
//   [channel type][priority, 16 bits][reliability parameter, 32 bits][label length][bytes ...]
// where the label takes the given number of bytes (capped at what is left) and the protocol the
// rest; they must serialize exactly when valid and parse back to themselves. Broken invariants
// trap.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "rtp/BigEndian.h"
#include "rtp/DataChannelAck.h"
#include "rtp/DataChannelOpen.h"

using myriad::rtp::DataChannelAck;
using myriad::rtp::DataChannelOpen;

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

bool SameFields(const DataChannelOpen::Fields& a, const DataChannelOpen::Fields& b) {
  return a.reliability == b.reliability && a.ordered == b.ordered && a.priority == b.priority &&
         a.reliabilityParameter == b.reliabilityParameter && a.label == b.label &&
         a.protocol == b.protocol;
}

void FuzzOpenMessage(std::span<const uint8_t> message) {
  const std::optional<DataChannelOpen> open = DataChannelOpen::Parse(message);
  if (!open) return;
  Check(message.size() >= DataChannelOpen::kFixedSize && message[0] == 0x03);
  Check(open->Label().size() + open->Protocol().size() + DataChannelOpen::kFixedSize ==
        message.size());
  // The strings are views into the message, back to back after the fixed part.
  Check(reinterpret_cast<const uint8_t*>(open->Label().data()) ==
        message.data() + DataChannelOpen::kFixedSize);
  Check(reinterpret_cast<const uint8_t*>(open->Protocol().data()) ==
        message.data() + DataChannelOpen::kFixedSize + open->Label().size());
  const uint8_t type = static_cast<uint8_t>(open->GetReliability());
  Check(type <= 2);
  Check(open->ChannelType() == (type | (open->Ordered() ? 0 : DataChannelOpen::kUnorderedBit)));
  Check(!DataChannelAck::Parse(message));

  const DataChannelOpen::Fields fields = open->ToFields();
  std::vector<uint8_t> out(DataChannelOpen::SerializedSize(fields));
  Check(out.size() == message.size());
  Check(DataChannelOpen::Serialize(fields, out) == out.size());
  const std::optional<DataChannelOpen> again = DataChannelOpen::Parse(out);
  Check(again.has_value());
  DataChannelOpen::Fields expected = fields;
  if (expected.reliability == DataChannelOpen::Reliability::kReliable) {
    expected.reliabilityParameter = 0;  // RFC 8832 5.1: sent as 0, whatever came in
  }
  Check(SameFields(again->ToFields(), expected));
  const bool canonical = fields.reliability != DataChannelOpen::Reliability::kReliable ||
                         fields.reliabilityParameter == 0;
  if (canonical) Check(std::memcmp(out.data(), message.data(), out.size()) == 0);

  std::vector<uint8_t> small(out.size() - 1);
  Check(DataChannelOpen::Serialize(fields, small) == 0);
}

void FuzzAckMessage(std::span<const uint8_t> message) {
  const std::optional<DataChannelAck> ack = DataChannelAck::Parse(message);
  Check(ack.has_value() == (message.size() == 1 && message[0] == 0x02));
  if (!ack) return;
  uint8_t out[DataChannelAck::kSize] = {};
  Check(DataChannelAck::Serialize(out) == DataChannelAck::kSize && out[0] == message[0]);
}

void FuzzFields(std::span<const uint8_t> data) {
  if (data.size() < 8) return;
  const uint8_t channelType = data[0];
  const auto priority = myriad::rtp::ReadBigEndian16(&data[1]);
  const uint32_t parameter = myriad::rtp::ReadBigEndian32(&data[3]);
  const std::span<const uint8_t> strings = data.subspan(8);
  const size_t labelLength = std::min<size_t>(data[7], strings.size());
  const std::string_view label(reinterpret_cast<const char*>(strings.data()), labelLength);
  const std::string_view protocol(reinterpret_cast<const char*>(strings.data()) + labelLength,
                                  strings.size() - labelLength);
  const auto reliability = static_cast<DataChannelOpen::Reliability>(channelType & 0x7F);
  const bool ordered = (channelType & DataChannelOpen::kUnorderedBit) == 0;
  const DataChannelOpen::Fields fields{reliability, ordered, priority, parameter, label, protocol};

  const bool valid = (channelType & 0x7F) <= 2;  // the input cannot make strings too long
  const size_t size = DataChannelOpen::SerializedSize(fields);
  Check((size != 0) == valid);
  if (!valid) return;
  Check(size == DataChannelOpen::kFixedSize + strings.size());
  std::vector<uint8_t> out(size);
  Check(DataChannelOpen::Serialize(fields, out) == size);
  const std::optional<DataChannelOpen> parsed = DataChannelOpen::Parse(out);
  Check(parsed.has_value());
  DataChannelOpen::Fields expected = fields;
  if (reliability == DataChannelOpen::Reliability::kReliable) expected.reliabilityParameter = 0;
  Check(SameFields(parsed->ToFields(), expected));
  Check(parsed->ChannelType() == channelType);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Parse from an exactly-sized copy so ASan sees any read past the end.
  const std::vector<uint8_t> message(data, data + size);
  FuzzOpenMessage(message);
  FuzzAckMessage(message);
  FuzzFields(message);
  return 0;
}
