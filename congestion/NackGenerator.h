#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace myriad::congestion {

// Finds the packets the server lost from a publisher and decides when to ask
// for them again (RFC 4585 generic NACK). Pure logic with time passed in; a
// fixed table of missing sequence numbers, no allocation.
class NackGenerator {
 public:
  static constexpr size_t kMaxMissing = 256;
  static constexpr int kMaxRetries = 10;
  // A gap wider than this is a stream restart or a long outage: asking for
  // hundreds of packets would only add load, the receiver needs a key frame.
  static constexpr uint16_t kMaxGap = 200;

  struct Result {
    bool keyFrameNeeded = false;  // packets were given up on
  };

  // Records an arriving sequence number (original stream, after RTX unwrap).
  Result OnPacket(uint16_t sequenceNumber, int64_t nowMs);

  // Writes the sequence numbers to request now into `out` and returns how
  // many. A packet is requested at once, then again every max(rtt, 20 ms)
  // until kMaxRetries, then dropped.
  size_t Collect(int64_t nowMs, int64_t rttMs, std::span<uint16_t> out);

  size_t MissingCount() const { return count_; }

 private:
  struct Missing {
    uint16_t sequenceNumber = 0;
    int64_t lastRequestMs = -1;
    int retries = 0;
  };
  void Add(uint16_t sequenceNumber);
  void Remove(size_t index);

  std::optional<uint16_t> highest_;
  std::array<Missing, kMaxMissing> missing_{};
  size_t count_ = 0;
};

}  // namespace myriad::congestion
