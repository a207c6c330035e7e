#include "rtp/StunMessageBuilder.h"

#include <algorithm>

#include "rtp/StunIntegrity.h"

namespace myriad::rtp {
namespace {

void WriteU16(uint8_t* out, uint16_t value) {
  out[0] = static_cast<uint8_t>(value >> 8);
  out[1] = static_cast<uint8_t>(value);
}

void WriteU32(uint8_t* out, uint32_t value) {
  WriteU16(out, static_cast<uint16_t>(value >> 16));
  WriteU16(out + 2, static_cast<uint16_t>(value));
}

void WriteU64(uint8_t* out, uint64_t value) {
  WriteU32(out, static_cast<uint32_t>(value >> 32));
  WriteU32(out + 4, static_cast<uint32_t>(value));
}

constexpr size_t kMaxUsernameLength = 512;  // RFC 5389 15.3: less than 513 bytes
constexpr size_t kMaxSoftwareLength = 762;  // RFC 5389 15.10: less than 763 bytes
constexpr size_t kMaxReasonLength = 762;    // RFC 5389 15.6: less than 763 bytes

}  // namespace

StunMessageBuilder::StunMessageBuilder(std::span<uint8_t> buffer, uint16_t type,
                                       const std::array<uint8_t, 12>& transactionId)
    : buffer_(buffer) {
  // RFC 5389 6: the two most significant bits of the type are zero.
  if (buffer_.size() < StunMessage::kHeaderSize || (type & 0xC000) != 0) {
    failed_ = true;
    return;
  }
  WriteU16(buffer_.data(), type);
  WriteU16(buffer_.data() + 2, 0);
  WriteU32(buffer_.data() + 4, StunMessage::kMagicCookie);
  std::copy(transactionId.begin(), transactionId.end(), buffer_.begin() + 8);
  size_ = StunMessage::kHeaderSize;
}

bool StunMessageBuilder::Fail() {
  failed_ = true;
  return false;
}

bool StunMessageBuilder::CanAddRegularAttribute() {
  // Anything after MESSAGE-INTEGRITY would be ignored by the receiver, and
  // anything after FINGERPRINT makes the message malformed.
  if (failed_ || hasMessageIntegrity_ || hasFingerprint_) return Fail();
  return true;
}

void StunMessageBuilder::WriteLength(size_t attributesLength) {
  WriteU16(buffer_.data() + 2, static_cast<uint16_t>(attributesLength));
}

std::optional<std::span<uint8_t>> StunMessageBuilder::AppendAttribute(uint16_t type,
                                                                      size_t valueLength) {
  if (failed_) return std::nullopt;
  const size_t paddedLength = (valueLength + 3) & ~size_t{3};
  // The message length field is 16 bits (RFC 5389 6).
  if (valueLength > 0xFFFF || paddedLength + 4 > buffer_.size() - size_ ||
      size_ + 4 + paddedLength - StunMessage::kHeaderSize > 0xFFFF) {
    failed_ = true;
    return std::nullopt;
  }
  uint8_t* attribute = buffer_.data() + size_;
  WriteU16(attribute, type);
  WriteU16(attribute + 2, static_cast<uint16_t>(valueLength));
  // RFC 5389 15: padding bytes may hold anything; zero keeps output stable.
  std::fill(attribute + 4 + valueLength, attribute + 4 + paddedLength, uint8_t{0});
  size_ += 4 + paddedLength;
  WriteLength(size_ - StunMessage::kHeaderSize);
  return std::span<uint8_t>(attribute + 4, valueLength);
}

bool StunMessageBuilder::AddUsername(std::string_view username) {
  if (!CanAddRegularAttribute() || username.size() > kMaxUsernameLength) return Fail();
  const auto value = AppendAttribute(StunMessage::kAttrUsername, username.size());
  if (!value) return false;
  std::copy(username.begin(), username.end(), value->begin());
  return true;
}

bool StunMessageBuilder::AddSoftware(std::string_view software) {
  if (!CanAddRegularAttribute() || software.size() > kMaxSoftwareLength) return Fail();
  const auto value = AppendAttribute(StunMessage::kAttrSoftware, software.size());
  if (!value) return false;
  std::copy(software.begin(), software.end(), value->begin());
  return true;
}

bool StunMessageBuilder::AddPriority(uint32_t priority) {
  if (!CanAddRegularAttribute()) return false;
  const auto value = AppendAttribute(StunMessage::kAttrPriority, 4);
  if (!value) return false;
  WriteU32(value->data(), priority);
  return true;
}

bool StunMessageBuilder::AddUseCandidate() {
  if (!CanAddRegularAttribute()) return false;
  return AppendAttribute(StunMessage::kAttrUseCandidate, 0).has_value();
}

bool StunMessageBuilder::AddIceControlling(uint64_t tieBreaker) {
  if (!CanAddRegularAttribute()) return false;
  const auto value = AppendAttribute(StunMessage::kAttrIceControlling, 8);
  if (!value) return false;
  WriteU64(value->data(), tieBreaker);
  return true;
}

bool StunMessageBuilder::AddIceControlled(uint64_t tieBreaker) {
  if (!CanAddRegularAttribute()) return false;
  const auto value = AppendAttribute(StunMessage::kAttrIceControlled, 8);
  if (!value) return false;
  WriteU64(value->data(), tieBreaker);
  return true;
}

bool StunMessageBuilder::AddXorMappedAddress(const StunAddress& address) {
  if (!CanAddRegularAttribute()) return false;
  const size_t addressSize = address.ipv6 ? 16 : 4;
  const auto value = AppendAttribute(StunMessage::kAttrXorMappedAddress, 4 + addressSize);
  if (!value) return false;
  // RFC 5389 15.2: the port XOR the cookie's top 16 bits; the address XOR
  // the cookie (IPv4) or cookie || transaction id (IPv6), which are exactly
  // header bytes 4..19.
  uint8_t* out = value->data();
  out[0] = 0;
  out[1] = address.ipv6 ? 0x02 : 0x01;
  WriteU16(out + 2, address.port ^ static_cast<uint16_t>(StunMessage::kMagicCookie >> 16));
  for (size_t i = 0; i < addressSize; ++i) out[4 + i] = address.address[i] ^ buffer_[4 + i];
  return true;
}

bool StunMessageBuilder::AddErrorCode(uint16_t code, std::string_view reason) {
  if (!CanAddRegularAttribute() || code < 300 || code > 699 || reason.size() > kMaxReasonLength) {
    return Fail();
  }
  const auto value = AppendAttribute(StunMessage::kAttrErrorCode, 4 + reason.size());
  if (!value) return false;
  // RFC 5389 15.6: 21 reserved zero bits, class (hundreds), number (0..99).
  uint8_t* out = value->data();
  out[0] = 0;
  out[1] = 0;
  out[2] = static_cast<uint8_t>(code / 100);
  out[3] = static_cast<uint8_t>(code % 100);
  std::copy(reason.begin(), reason.end(), out + 4);
  return true;
}

bool StunMessageBuilder::AddMessageIntegrity(std::string_view key) {
  if (failed_ || hasMessageIntegrity_ || hasFingerprint_) return Fail();
  const size_t attributeOffset = size_;
  // Appending first sets the length field to include MESSAGE-INTEGRITY,
  // which is what RFC 5389 15.4 says the HMAC must cover.
  const auto value =
      AppendAttribute(StunMessage::kAttrMessageIntegrity, StunMessage::kMessageIntegritySize);
  if (!value) return false;
  const std::span<const uint8_t> message = buffer_.first(size_);
  const auto header = StunIntegrity::AdjustedHeader(
      message, static_cast<uint16_t>(size_ - StunMessage::kHeaderSize));
  StunIntegrity::Hmac hmac{};
  if (!StunIntegrity::HmacSha1(
          key, header,
          message.subspan(StunMessage::kHeaderSize, attributeOffset - StunMessage::kHeaderSize),
          hmac)) {
    return Fail();
  }
  std::copy(hmac.begin(), hmac.end(), value->begin());
  hasMessageIntegrity_ = true;
  return true;
}

bool StunMessageBuilder::AddFingerprint() {
  if (failed_ || hasFingerprint_) return Fail();
  const size_t attributeOffset = size_;
  const auto value = AppendAttribute(StunMessage::kAttrFingerprint, 4);
  if (!value) return false;
  const std::span<const uint8_t> message = buffer_.first(size_);
  const auto header = StunIntegrity::AdjustedHeader(
      message, static_cast<uint16_t>(size_ - StunMessage::kHeaderSize));
  WriteU32(value->data(), StunIntegrity::Fingerprint(
                              header, message.subspan(StunMessage::kHeaderSize,
                                                      attributeOffset - StunMessage::kHeaderSize)));
  hasFingerprint_ = true;
  return true;
}

std::span<const uint8_t> StunMessageBuilder::Finish() {
  if (failed_) return {};
  return buffer_.first(size_);
}

}  // namespace myriad::rtp
