#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace myriad::rtp {

// A transport address as carried by XOR-MAPPED-ADDRESS (RFC 5389 15.2), in
// network byte order. An IPv4 address uses the first 4 bytes of `address`.
struct StunAddress {
  bool ipv6 = false;
  std::array<uint8_t, 16> address{};
  uint16_t port = 0;

  bool operator==(const StunAddress&) const = default;
};

// A read-only view over one STUN message (RFC 5389) with the attributes ICE
// uses (RFC 8445 7.1). Parse validates the header and walks every attribute
// TLV with its length checked, so the accessors never read out of bounds.
// The view does not own the bytes: they must outlive it.
class StunMessage {
 public:
  // RFC 5389 6: method Binding (0x001) in the four classes.
  static constexpr uint16_t kBindingRequest = 0x0001;
  static constexpr uint16_t kBindingIndication = 0x0011;
  static constexpr uint16_t kBindingSuccessResponse = 0x0101;
  static constexpr uint16_t kBindingErrorResponse = 0x0111;

  static constexpr size_t kHeaderSize = 20;
  static constexpr uint32_t kMagicCookie = 0x2112A442;  // RFC 5389 6
  static constexpr size_t kMessageIntegritySize = 20;   // HMAC-SHA1, RFC 5389 15.4
  // RFC 5389 15.5: the CRC-32 is XOR'ed with this so that FINGERPRINT differs
  // from a CRC an application protocol might carry.
  static constexpr uint32_t kFingerprintXor = 0x5354554E;

  // Attribute types (RFC 5389 18.2, RFC 8445 16.1).
  static constexpr uint16_t kAttrUsername = 0x0006;
  static constexpr uint16_t kAttrMessageIntegrity = 0x0008;
  static constexpr uint16_t kAttrErrorCode = 0x0009;
  static constexpr uint16_t kAttrXorMappedAddress = 0x0020;
  static constexpr uint16_t kAttrPriority = 0x0024;
  static constexpr uint16_t kAttrUseCandidate = 0x0025;
  static constexpr uint16_t kAttrSoftware = 0x8022;
  static constexpr uint16_t kAttrFingerprint = 0x8028;
  static constexpr uint16_t kAttrIceControlled = 0x8029;
  static constexpr uint16_t kAttrIceControlling = 0x802A;

  // RFC 7983 7: a datagram whose first byte is 0..3 is STUN; the magic cookie
  // then tells a STUN message (RFC 5389) from anything else that starts so.
  static bool LooksLikeStun(std::span<const uint8_t> data);

  // The datagram must be exactly one message (header + length bytes). Returns
  // nullopt for a bad header, a length that is not a multiple of 4 or does
  // not match the data, an attribute overrunning the message, a known
  // attribute with a wrong size or content, or an attribute after FINGERPRINT.
  static std::optional<StunMessage> Parse(std::span<const uint8_t> data);

  uint16_t Type() const { return type_; }
  const std::array<uint8_t, 12>& TransactionId() const { return transactionId_; }
  // The whole message as parsed.
  std::span<const uint8_t> Data() const { return data_; }

  std::optional<std::string_view> Username() const;
  std::optional<uint32_t> Priority() const { return priority_; }
  bool HasUseCandidate() const { return useCandidate_; }
  std::optional<uint64_t> IceControlling() const { return iceControlling_; }
  std::optional<uint64_t> IceControlled() const { return iceControlled_; }
  std::optional<StunAddress> XorMappedAddress() const { return xorMappedAddress_; }
  // class * 100 + number (RFC 5389 15.6), e.g. 487 for Role Conflict.
  std::optional<uint16_t> ErrorCode() const { return errorCode_; }

  bool HasMessageIntegrity() const { return messageIntegrityOffset_ != 0; }
  // RFC 5389 15.4: HMAC-SHA1 keyed with `key` (for ICE's short-term
  // credentials, the password) over the message up to MESSAGE-INTEGRITY, with
  // the header's length field as if MESSAGE-INTEGRITY were the last
  // attribute. An empty key never verifies (ICE passwords have at least 22
  // characters, RFC 8445 5.3).
  bool CheckMessageIntegrity(std::string_view key) const;

  bool HasFingerprint() const { return fingerprintOffset_ != 0; }
  // RFC 5389 15.5: CRC-32 of the message up to FINGERPRINT, XOR 0x5354554e.
  bool CheckFingerprint() const;

 private:
  StunMessage() = default;

  std::span<const uint8_t> data_;
  uint16_t type_ = 0;
  std::array<uint8_t, 12> transactionId_{};
  // Offsets are from the start of the message; 0 means absent (an attribute
  // can never start inside the 20-byte header).
  size_t usernameOffset_ = 0;
  size_t usernameLength_ = 0;
  size_t messageIntegrityOffset_ = 0;  // of the attribute's type field
  size_t fingerprintOffset_ = 0;       // of the attribute's type field
  std::optional<uint32_t> priority_;
  bool useCandidate_ = false;
  std::optional<uint64_t> iceControlling_;
  std::optional<uint64_t> iceControlled_;
  std::optional<StunAddress> xorMappedAddress_;
  std::optional<uint16_t> errorCode_;
};

}  // namespace myriad::rtp
