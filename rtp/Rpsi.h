#pragma once

// Reference Picture Selection Indication, PSFB (PT=206) FMT=3 (RFC 4585 section 6.3.3). The FCI
// holds exactly one RPSI (6.3.3.2):
//
//   |      PB       |0| Payload Type|    Native RPSI bit string     |
//   |   defined per codec          ...                | Padding (0) |
//
// PB counts the padding bits after the native bit string that fill the FCI up to a 32-bit
// boundary; the bit string means what the codec of the payload type defines (6.3.3.1).
//
// Myriad's long-term reference (LTR) feedback gives the native bit string one codec-independent
// layout of exactly 32 bits. The FCI is then 6 bytes of content padded to 8, so PB = 16:
//
//   |     kind      |   reserved    |            frameId            |
//
// kind 1 "acknowledged": the sender fully decoded the publisher's long-term reference frame
// frameId; kind 2 "recover from": the publisher should encode its next frame referencing only
// frameId, instead of a key frame. frameId is the 16-bit frame number of the publisher's stream.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rtp/RtcpFeedbackHeader.h"

namespace myriad::rtp {

class Rpsi {
 public:
  // PB, payload type and at least one bit of bit string, padded to a 32-bit boundary.
  static constexpr size_t kMinSize = RtcpFeedbackHeader::kSize + 4;
  static constexpr uint8_t kMaxPayloadType = 127;

  struct Fields {
    uint32_t senderSsrc = 0;
    uint32_t mediaSsrc = 0;
    uint8_t payloadType = 0;                   // at most kMaxPayloadType
    std::span<const uint8_t> nativeBitString;  // most significant bit first
    size_t nativeBitLength = 0;                // 1 .. 8 * nativeBitString.size()
  };

  enum class LtrKind : uint8_t { kAcknowledged = 1, kRecoverFrom = 2 };
  struct LtrMessage {
    uint32_t senderSsrc = 0;
    uint32_t mediaSsrc = 0;   // the publisher's video SSRC
    uint8_t payloadType = 0;  // the publisher's video payload type
    LtrKind kind = LtrKind::kAcknowledged;
    uint16_t frameId = 0;
    friend bool operator==(const LtrMessage&, const LtrMessage&) = default;
  };
  static constexpr size_t kLtrBitLength = 32;
  static constexpr size_t kLtrSize = RtcpFeedbackHeader::kSize + 8;

  // nullopt unless PT=206, FMT=3, the FCI holds PB and payload type, and PB leaves at least one
  // bit of native bit string. The 0 bit and the padding bits are ignored (6.3.3.2), and so is a
  // PB of 32 or more (whole padding words) as long as it fits.
  static std::optional<Rpsi> Parse(std::span<uint8_t> buffer);
  static size_t SerializedSize(const Fields& fields);  // 0 if fields are invalid
  // Writes the bit string, zero padding bits and the smallest PB; bytes or 0.
  static size_t Serialize(const Fields& fields, std::span<uint8_t> out);

  // Parse, then the LTR layout: nullopt unless the bit string is exactly kLtrBitLength bits and
  // the kind is 1 or 2 (other kinds are reserved). The reserved byte is ignored.
  static std::optional<LtrMessage> ParseLtr(std::span<uint8_t> buffer);
  std::optional<LtrMessage> ToLtr() const;  // the same check on an already parsed RPSI
  // Writes the kLtrSize-byte packet; 0 if `out` is too small or the kind or payload type is
  // invalid.
  static size_t SerializeLtr(const LtrMessage& message, std::span<uint8_t> out);

  uint32_t SenderSsrc() const { return feedback_.SenderSsrc(); }
  uint32_t MediaSsrc() const { return feedback_.MediaSsrc(); }
  void SetSenderSsrc(uint32_t ssrc) { feedback_.SetSenderSsrc(ssrc); }
  void SetMediaSsrc(uint32_t ssrc) { feedback_.SetMediaSsrc(ssrc); }
  uint8_t PaddingBits() const { return feedback_.Fci()[0]; }  // PB
  uint8_t PayloadType() const { return feedback_.Fci()[1] & kMaxPayloadType; }
  size_t NativeBitLength() const;
  // The ceil(NativeBitLength() / 8) bytes holding the bit string; bits past NativeBitLength()
  // in the last byte are padding.
  std::span<const uint8_t> NativeBitString() const;
  const RtcpHeader& Header() const { return feedback_.Header(); }

 private:
  explicit Rpsi(RtcpFeedbackHeader feedback) : feedback_(feedback) {}
  RtcpFeedbackHeader feedback_;
};

}  // namespace myriad::rtp
