#pragma once

// DATA_CHANNEL_ACK (Data Channel Establishment Protocol, RFC 8832 5.2): the answer to a
// DATA_CHANNEL_OPEN, sent on the same SCTP stream with PPID 50 (RFC 8831 8). It is the message
// type alone:
//
//   | Message Type  |
//
// with message type 0x02.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace myriad::rtp {

class DataChannelAck {
 public:
  static constexpr uint8_t kMessageType = 0x02;
  static constexpr size_t kSize = 1;

  // nullopt unless the message is exactly the one byte 0x02.
  static std::optional<DataChannelAck> Parse(std::span<const uint8_t> message);
  // Writes the message; returns kSize, or 0 if `out` is too small.
  static size_t Serialize(std::span<uint8_t> out);

  std::span<const uint8_t> Message() const { return message_; }

 private:
  explicit DataChannelAck(std::span<const uint8_t> message) : message_(message) {}
  std::span<const uint8_t> message_;
};

}  // namespace myriad::rtp
