#pragma once

// DATA_CHANNEL_OPEN, the message that opens a WebRTC data channel (Data Channel Establishment
// Protocol, RFC 8832 5.1), sent on the channel's SCTP stream with PPID 50 (RFC 8831 8):
//
//   | Message Type  | Channel Type  |            Priority           |
//   |                    Reliability Parameter                      |
//   |         Label Length          |       Protocol Length         |
//   \                            Label                              /
//   \                           Protocol                            /
//
// Message type 0x03. Channel type (8.2.2): 0x00 reliable, 0x01 partially reliable with a limit
// on retransmissions, 0x02 partially reliable with a lifetime in milliseconds; the 0x80 bit
// makes any of them unordered. The reliability parameter is that limit or lifetime (0 for a
// reliable channel). Label and protocol are UTF-8 without terminator, either may be empty.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace myriad::rtp {

class DataChannelOpen {
 public:
  static constexpr uint8_t kMessageType = 0x03;
  static constexpr size_t kFixedSize = 12;
  static constexpr uint8_t kUnorderedBit = 0x80;

  // The channel type without the unordered bit (RFC 8832 5.1, 8.2.2).
  enum class Reliability : uint8_t {
    kReliable = 0x00,
    kPartialReliableRexmit = 0x01,  // reliability parameter: retransmissions allowed
    kPartialReliableTimed = 0x02,   // reliability parameter: lifetime in ms
  };

  struct Fields {
    Reliability reliability = Reliability::kReliable;
    bool ordered = true;
    uint16_t priority = 0;
    // Written as 0 for a reliable channel ("MUST be set to 0 on the sending side").
    uint32_t reliabilityParameter = 0;
    std::string_view label;     // at most 65535 bytes
    std::string_view protocol;  // at most 65535 bytes
  };

  // nullopt unless the message type is 0x03, the channel type is one of the six defined ones
  // and the message is exactly the fixed part, the label and the protocol (nothing may
  // overrun or trail). UTF-8 validity is the caller's business: the bytes come back as they
  // are.
  static std::optional<DataChannelOpen> Parse(std::span<const uint8_t> message);
  static size_t SerializedSize(const Fields& fields);  // 0 if label or protocol is too long
  // Writes the message; returns its size, or 0 if the fields are invalid or `out` is too small.
  static size_t Serialize(const Fields& fields, std::span<uint8_t> out);

  uint8_t ChannelType() const { return message_[1]; }  // raw, with the unordered bit
  Reliability GetReliability() const {
    return static_cast<Reliability>(ChannelType() & ~kUnorderedBit);
  }
  bool Ordered() const { return (ChannelType() & kUnorderedBit) == 0; }
  uint16_t Priority() const;
  // As received: RFC 8832 5.1 says to ignore it for a reliable channel, which the caller does.
  uint32_t ReliabilityParameter() const;
  std::string_view Label() const;
  std::string_view Protocol() const;
  Fields ToFields() const;
  std::span<const uint8_t> Message() const { return message_; }

 private:
  explicit DataChannelOpen(std::span<const uint8_t> message) : message_(message) {}
  size_t LabelLength() const;
  std::span<const uint8_t> message_;
};

}  // namespace myriad::rtp
