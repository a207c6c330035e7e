#include "rtp/StunMessage.h"

#include <openssl/crypto.h>

#include "rtp/StunIntegrity.h"

namespace myriad::rtp {
namespace {

uint16_t ReadU16(std::span<const uint8_t> data, size_t offset) {
  return static_cast<uint16_t>((data[offset] << 8) | data[offset + 1]);
}

uint32_t ReadU32(std::span<const uint8_t> data, size_t offset) {
  return (static_cast<uint32_t>(data[offset]) << 24) |
         (static_cast<uint32_t>(data[offset + 1]) << 16) |
         (static_cast<uint32_t>(data[offset + 2]) << 8) | static_cast<uint32_t>(data[offset + 3]);
}

uint64_t ReadU64(std::span<const uint8_t> data, size_t offset) {
  return (static_cast<uint64_t>(ReadU32(data, offset)) << 32) | ReadU32(data, offset + 4);
}

// RFC 5389 15.2: family 0x01 carries 4 address bytes, 0x02 carries 16; the
// port is XOR'ed with the cookie's top half, the address with the cookie
// (IPv4) or the cookie followed by the transaction id (IPv6).
std::optional<StunAddress> DecodeXorAddress(std::span<const uint8_t> value,
                                            std::span<const uint8_t> header) {
  if (value.size() < 4) return std::nullopt;
  StunAddress address;
  const uint8_t family = value[1];
  if (family == 0x01 && value.size() == 8) {
    address.ipv6 = false;
  } else if (family == 0x02 && value.size() == 20) {
    address.ipv6 = true;
  } else {
    return std::nullopt;
  }
  address.port = ReadU16(value, 2) ^ static_cast<uint16_t>(StunMessage::kMagicCookie >> 16);
  // Header bytes 4..19 are exactly "magic cookie || transaction id".
  const size_t addressSize = address.ipv6 ? 16 : 4;
  for (size_t i = 0; i < addressSize; ++i) address.address[i] = value[4 + i] ^ header[4 + i];
  return address;
}

// RFC 5389 15.6: 21 reserved bits, a 3-bit class (3..6) and a number (0..99),
// then a reason phrase.
std::optional<uint16_t> DecodeErrorCode(std::span<const uint8_t> value) {
  if (value.size() < 4) return std::nullopt;
  const uint8_t errorClass = value[2] & 0x07;
  const uint8_t number = value[3];
  if (errorClass < 3 || errorClass > 6 || number > 99) return std::nullopt;
  return static_cast<uint16_t>(errorClass * 100 + number);
}

}  // namespace

bool StunMessage::LooksLikeStun(std::span<const uint8_t> data) {
  return data.size() >= kHeaderSize && data[0] <= 3 && ReadU32(data, 4) == kMagicCookie;
}

std::optional<StunMessage> StunMessage::Parse(std::span<const uint8_t> data) {
  // RFC 5389 6: the two most significant bits are zero, the length counts the
  // attributes only and is a multiple of 4 because every attribute is padded.
  if (data.size() < kHeaderSize) return std::nullopt;
  if ((data[0] & 0xC0) != 0) return std::nullopt;
  if (ReadU32(data, 4) != kMagicCookie) return std::nullopt;
  const size_t length = ReadU16(data, 2);
  if (length % 4 != 0 || data.size() != kHeaderSize + length) return std::nullopt;

  StunMessage message;
  message.data_ = data;
  message.type_ = ReadU16(data, 0);
  for (size_t i = 0; i < message.transactionId_.size(); ++i)
    message.transactionId_[i] = data[8 + i];

  size_t offset = kHeaderSize;
  while (offset < data.size()) {
    // offset stays a multiple of 4 and data.size() is one, so the 4-byte
    // attribute header always fits here.
    const uint16_t type = ReadU16(data, offset);
    const size_t valueLength = ReadU16(data, offset + 2);
    const size_t paddedLength = (valueLength + 3) & ~size_t{3};
    if (paddedLength > data.size() - offset - 4) return std::nullopt;
    const auto value = data.subspan(offset + 4, valueLength);

    // RFC 5389 15.5: FINGERPRINT, when present, is the last attribute.
    if (message.fingerprintOffset_ != 0) return std::nullopt;
    // RFC 5389 15.4: attributes after MESSAGE-INTEGRITY are ignored, except
    // FINGERPRINT. RFC 5389 15: only the first of a repeated attribute counts.
    const bool afterIntegrity = message.messageIntegrityOffset_ != 0;
    if (!afterIntegrity || type == kAttrFingerprint) {
      switch (type) {
        case kAttrUsername:
          if (message.usernameOffset_ == 0) {
            message.usernameOffset_ = offset + 4;
            message.usernameLength_ = valueLength;
          }
          break;
        case kAttrMessageIntegrity:
          if (valueLength != kMessageIntegritySize) return std::nullopt;
          message.messageIntegrityOffset_ = offset;
          break;
        case kAttrFingerprint:
          if (valueLength != 4) return std::nullopt;
          message.fingerprintOffset_ = offset;
          break;
        case kAttrPriority:
          if (valueLength != 4) return std::nullopt;
          if (!message.priority_) message.priority_ = ReadU32(value, 0);
          break;
        case kAttrUseCandidate:
          if (valueLength != 0) return std::nullopt;
          message.useCandidate_ = true;
          break;
        case kAttrIceControlling:
          if (valueLength != 8) return std::nullopt;
          if (!message.iceControlling_) message.iceControlling_ = ReadU64(value, 0);
          break;
        case kAttrIceControlled:
          if (valueLength != 8) return std::nullopt;
          if (!message.iceControlled_) message.iceControlled_ = ReadU64(value, 0);
          break;
        case kAttrXorMappedAddress: {
          const auto address = DecodeXorAddress(value, data);
          if (!address) return std::nullopt;
          if (!message.xorMappedAddress_) message.xorMappedAddress_ = address;
          break;
        }
        case kAttrErrorCode: {
          const auto code = DecodeErrorCode(value);
          if (!code) return std::nullopt;
          if (!message.errorCode_) message.errorCode_ = code;
          break;
        }
        default:
          // Unknown attributes: comprehension-required ones (< 0x8000) are
          // for the caller to answer with 420 if it cares; we skip them.
          break;
      }
    }
    offset += 4 + paddedLength;
  }
  return message;
}

std::optional<std::string_view> StunMessage::Username() const {
  if (usernameOffset_ == 0) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(data_.data() + usernameOffset_),
                          usernameLength_);
}

bool StunMessage::CheckMessageIntegrity(std::string_view key) const {
  if (messageIntegrityOffset_ == 0) return false;
  // Length as if the message ended right after MESSAGE-INTEGRITY (4 + 20).
  const auto lengthThroughIntegrity =
      static_cast<uint16_t>(messageIntegrityOffset_ - kHeaderSize + 4 + kMessageIntegritySize);
  const auto header = StunIntegrity::AdjustedHeader(data_, lengthThroughIntegrity);
  StunIntegrity::Hmac expected{};
  if (!StunIntegrity::HmacSha1(key, header,
                               data_.subspan(kHeaderSize, messageIntegrityOffset_ - kHeaderSize),
                               expected)) {
    return false;
  }
  return CRYPTO_memcmp(expected.data(), data_.data() + messageIntegrityOffset_ + 4,
                       expected.size()) == 0;
}

bool StunMessage::CheckFingerprint() const {
  if (fingerprintOffset_ == 0) return false;
  const auto lengthThroughFingerprint =
      static_cast<uint16_t>(fingerprintOffset_ - kHeaderSize + 4 + 4);
  const auto header = StunIntegrity::AdjustedHeader(data_, lengthThroughFingerprint);
  const uint32_t expected = StunIntegrity::Fingerprint(
      header, data_.subspan(kHeaderSize, fingerprintOffset_ - kHeaderSize));
  return expected == ReadU32(data_, fingerprintOffset_ + 4);
}

}  // namespace myriad::rtp
