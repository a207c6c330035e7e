// libFuzzer target: StunMessage::Parse on arbitrary bytes, then a rebuild of
// whatever parsed through StunMessageBuilder, which must parse back to the
// same attributes with valid MESSAGE-INTEGRITY and FINGERPRINT.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "rtp/StunMessage.h"
#include "rtp/StunMessageBuilder.h"

using myriad::rtp::StunMessage;
using myriad::rtp::StunMessageBuilder;

namespace {

void Require(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  (void)StunMessage::LooksLikeStun(input);
  const auto message = StunMessage::Parse(input);
  if (!message) return 0;
  // RFC 7983 demultiplexing only claims first bytes 0..3, a subset of what
  // the RFC 5389 header allows (two zero bits), so no Require on LooksLikeStun.
  Require(size == StunMessage::kHeaderSize + ((size_t{data[2]} << 8) | data[3]));

  (void)message->CheckMessageIntegrity("fuzz-password-0123456789");
  (void)message->CheckFingerprint();

  std::array<uint8_t, 2048> buffer{};
  StunMessageBuilder builder(buffer, message->Type(), message->TransactionId());
  if (const auto username = message->Username()) builder.AddUsername(*username);
  if (const auto priority = message->Priority()) builder.AddPriority(*priority);
  if (message->HasUseCandidate()) builder.AddUseCandidate();
  if (const auto tieBreaker = message->IceControlling()) builder.AddIceControlling(*tieBreaker);
  if (const auto tieBreaker = message->IceControlled()) builder.AddIceControlled(*tieBreaker);
  if (const auto address = message->XorMappedAddress()) builder.AddXorMappedAddress(*address);
  if (const auto code = message->ErrorCode()) builder.AddErrorCode(*code, "reason");
  builder.AddMessageIntegrity("fuzz-password-0123456789");
  builder.AddFingerprint();
  const auto rebuilt = builder.Finish();
  if (rebuilt.empty()) return 0;  // e.g. a USERNAME longer than RFC 5389 allows

  const auto reparsed = StunMessage::Parse(rebuilt);
  Require(reparsed.has_value());
  Require(reparsed->Type() == message->Type());
  Require(reparsed->TransactionId() == message->TransactionId());
  Require(reparsed->Username() == message->Username());
  Require(reparsed->Priority() == message->Priority());
  Require(reparsed->HasUseCandidate() == message->HasUseCandidate());
  Require(reparsed->IceControlling() == message->IceControlling());
  Require(reparsed->IceControlled() == message->IceControlled());
  Require(reparsed->XorMappedAddress() == message->XorMappedAddress());
  Require(reparsed->ErrorCode() == message->ErrorCode());
  Require(reparsed->CheckMessageIntegrity("fuzz-password-0123456789"));
  Require(!reparsed->CheckMessageIntegrity("fuzz-password-0123456788"));
  Require(reparsed->CheckFingerprint());
  return 0;
}
