#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace myriad::congestion {

// Decides whether a NACKed packet is still worth resending to one
// subscriber (RFC 4585 6.2.1 leaves this to the sender):
//
// - Too old: a retransmission arrives about half a round trip after we send
//   it. If by then the packet is older than the receiver's jitter buffer
//   would wait for it (audio plays out within a few hundred milliseconds,
//   video decoding waits about a second before it asks for a key frame), it
//   would only be discarded there, and it spends the subscriber's bandwidth
//   when it is likely short of it.
// - Asked again too soon: a receiver repeats a NACK when the packet has not
//   arrived after its own estimate of the round trip; when our previous
//   resend of the same packet is younger than one RTT, it may still be on
//   its way, and a second copy doubles the cost of the loss.
//
// Remembers the last kRecent resends by the subscriber's sequence number in
// a fixed table: no allocation per packet. Pure logic, time passed in.
class RetransmissionGate {
 public:
  static constexpr int64_t kAudioMaxUsefulAgeMs = 300;
  static constexpr int64_t kVideoMaxUsefulAgeMs = 1000;
  // A floor for the duplicate rule, for RTT estimates near zero on loopback.
  static constexpr int64_t kMinResendIntervalMs = 10;
  static constexpr size_t kRecent = 32;

  enum class Decision { kSend, kTooOld, kResentWithinRtt };

  explicit RetransmissionGate(bool video) : video_(video) {}

  // `storedAtMs`: when the server received the original packet. On kSend the
  // resend is recorded.
  Decision Check(uint16_t sequenceNumber, int64_t storedAtMs, int64_t nowMs, int64_t rttMs);

 private:
  struct Resend {
    bool used = false;
    uint16_t sequenceNumber = 0;
    int64_t atMs = 0;
  };
  bool video_;
  std::array<Resend, kRecent> recent_{};
};

}  // namespace myriad::congestion
