#pragma once

// Writes one RTP packet (RFC 3550 5.1, RFC 8285 extensions) into a caller-owned buffer.
// Setters only record values (extension values and payload are referenced, not copied);
// Build() lays everything out at once, so the order of calls does not matter.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace myriad::rtp {

class RtpPacketBuilder {
 public:
  static constexpr size_t kMaxCsrcs = 15;
  static constexpr size_t kMaxExtensions = 16;

  explicit RtpPacketBuilder(std::span<uint8_t> buffer) : buffer_(buffer) {}

  RtpPacketBuilder& SetPayloadType(uint8_t payloadType);  // must be < 128
  RtpPacketBuilder& SetMarker(bool marker);
  RtpPacketBuilder& SetSequenceNumber(uint16_t seq);
  RtpPacketBuilder& SetTimestamp(uint32_t timestamp);
  RtpPacketBuilder& SetSsrc(uint32_t ssrc);
  RtpPacketBuilder& AddCsrc(uint32_t csrc);

  // Uses the one-byte form (RFC 8285 4.2) when every element has id 1..14 and 1..16 bytes;
  // otherwise switches the whole block to the two-byte form (4.3: id 1..255, 0..255 bytes).
  // `value` must stay alive until Build().
  RtpPacketBuilder& AddExtension(uint8_t id, std::span<const uint8_t> value);
  RtpPacketBuilder& SetPayload(std::span<const uint8_t> payload);  // referenced until Build()
  RtpPacketBuilder& SetPaddingSize(uint8_t paddingSize);           // 0 = no padding

  // The written packet, or an empty span if it does not fit or a value was invalid.
  std::span<uint8_t> Build();

 private:
  struct Extension {
    uint8_t id = 0;
    std::span<const uint8_t> value;
  };

  bool UsesOneByteForm() const;
  size_t ExtensionBlockSize(bool oneByte) const;  // elements + zero padding to 32 bits

  std::span<uint8_t> buffer_;
  uint8_t payloadType_ = 0;
  bool marker_ = false;
  uint16_t sequenceNumber_ = 0;
  uint32_t timestamp_ = 0;
  uint32_t ssrc_ = 0;
  std::array<uint32_t, kMaxCsrcs> csrcs_{};
  size_t csrcCount_ = 0;
  std::array<Extension, kMaxExtensions> extensions_{};
  size_t extensionCount_ = 0;
  std::span<const uint8_t> payload_;
  uint8_t paddingSize_ = 0;
  bool invalid_ = false;
};

}  // namespace myriad::rtp
