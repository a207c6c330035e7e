#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "rtp/StunMessage.h"

namespace myriad::rtp {

// Writes one STUN message (RFC 5389) into a caller-owned buffer, without
// allocating. Attributes are appended in call order; MESSAGE-INTEGRITY and
// FINGERPRINT, when wanted, come last and in that order (RFC 5389 15.4,
// 15.5). An Add that does not fit, or comes out of order, returns false and
// poisons the builder: Finish then returns an empty span, so a half-written
// message is never sent.
class StunMessageBuilder {
 public:
  StunMessageBuilder(std::span<uint8_t> buffer, uint16_t type,
                     const std::array<uint8_t, 12>& transactionId);

  bool AddUsername(std::string_view username);  // RFC 5389 15.3: < 513 bytes
  bool AddSoftware(std::string_view software);  // RFC 5389 15.10: < 763 bytes
  bool AddPriority(uint32_t priority);          // RFC 8445 7.1.1
  bool AddUseCandidate();                       // RFC 8445 7.1.2
  bool AddIceControlling(uint64_t tieBreaker);  // RFC 8445 7.1.3
  bool AddIceControlled(uint64_t tieBreaker);
  bool AddXorMappedAddress(const StunAddress& address);       // RFC 5389 15.2
  bool AddErrorCode(uint16_t code, std::string_view reason);  // 300..699, RFC 5389 15.6
  bool AddMessageIntegrity(std::string_view key);             // RFC 5389 15.4
  bool AddFingerprint();                                      // RFC 5389 15.5

  // The finished message (a view into the buffer), or an empty span if any
  // Add failed.
  std::span<const uint8_t> Finish();

 private:
  // Reserves an attribute with `valueLength` bytes (zero-padded to a multiple
  // of 4), writes its header and updates the message length. Returns the
  // value's bytes, or nullopt (and poisons the builder) if it does not fit.
  std::optional<std::span<uint8_t>> AppendAttribute(uint16_t type, size_t valueLength);
  bool Fail();
  bool CanAddRegularAttribute();
  void WriteLength(size_t attributesLength);

  std::span<uint8_t> buffer_;
  size_t size_ = 0;
  bool failed_ = false;
  bool hasMessageIntegrity_ = false;
  bool hasFingerprint_ = false;
};

}  // namespace myriad::rtp
