#pragma once

// The 4-byte header shared by every RTCP packet (RFC 3550 section 6.4.1):
//
//   |V=2|P|  count  |      PT       |             length            |
//
// length is the packet size in 32-bit words minus one, header and padding included. The
// 5-bit count field is the item count for SR/RR/SDES/BYE and the feedback message type (FMT)
// for RTPFB/PSFB (RFC 4585 6.1). The view covers exactly one packet.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace myriad::rtp {

class RtcpHeader {
 public:
  static constexpr size_t kSize = 4;
  static constexpr uint8_t kVersion = 2;
  static constexpr uint8_t kMaxCount = 31;
  // Packet types, RFC 3550 12.1 and RFC 4585 6.1.
  static constexpr uint8_t kSenderReport = 200;
  static constexpr uint8_t kReceiverReport = 201;
  static constexpr uint8_t kSourceDescription = 202;
  static constexpr uint8_t kBye = 203;
  static constexpr uint8_t kApplicationDefined = 204;
  static constexpr uint8_t kTransportFeedback = 205;  // RTPFB
  static constexpr uint8_t kPayloadFeedback = 206;    // PSFB
  // Feedback message types (FMT).
  static constexpr uint8_t kFmtGenericNack = 1;        // RTPFB, RFC 4585 6.2.1
  static constexpr uint8_t kFmtTmmbr = 3;              // RTPFB, RFC 5104 4.2.1
  static constexpr uint8_t kFmtTmmbn = 4;              // RTPFB, RFC 5104 4.2.2
  static constexpr uint8_t kFmtTransportCc = 15;       // RTPFB, draft-holmer-...-01 3.1
  static constexpr uint8_t kFmtPli = 1;                // PSFB, RFC 4585 6.3.1
  static constexpr uint8_t kFmtRpsi = 3;               // PSFB, RFC 4585 6.3.3
  static constexpr uint8_t kFmtFir = 4;                // PSFB, RFC 5104 4.3.1
  static constexpr uint8_t kFmtApplicationLayer = 15;  // PSFB, RFC 4585 6.4 (REMB)

  // Validates version 2, that the length field fits in `buffer` and, when P is set, that the
  // padding count is non-zero and within the packet body. Bytes after the packet are ignored;
  // Packet() covers only this packet.
  static std::optional<RtcpHeader> Parse(std::span<uint8_t> buffer);

  // Like Parse, and additionally requires the packet type and (unless nullopt) count/FMT.
  static std::optional<RtcpHeader> ParseTyped(std::span<uint8_t> buffer, uint8_t packetType,
                                              std::optional<uint8_t> countOrFormat);

  uint8_t Version() const { return packet_[0] >> 6; }
  bool HasPadding() const { return (packet_[0] & 0x20) != 0; }
  uint8_t CountOrFormat() const { return packet_[0] & 0x1F; }
  uint8_t PacketType() const { return packet_[1]; }
  uint16_t LengthField() const;

  size_t PacketSize() const { return packet_.size(); }  // header, body and padding
  size_t PaddingSize() const { return paddingSize_; }
  std::span<uint8_t> Packet() const { return packet_; }
  // Everything after the 4-byte header, without padding.
  std::span<uint8_t> Body() const;

  // Writes a header for a packet of `packetSize` bytes (a multiple of 4, at least 4, at most
  // 256 KiB) without padding. Returns kSize, or 0 when `out` is too small or values are invalid.
  static size_t Write(std::span<uint8_t> out, uint8_t countOrFormat, uint8_t packetType,
                      size_t packetSize);

 private:
  RtcpHeader(std::span<uint8_t> packet, size_t paddingSize)
      : packet_(packet), paddingSize_(paddingSize) {}

  std::span<uint8_t> packet_;
  size_t paddingSize_ = 0;
};

}  // namespace myriad::rtp
