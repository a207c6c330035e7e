#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace myriad::congestion {

// The packets of one published stream, kept once for all its subscribers so
// their NACKs (RFC 4585 6.2.1) can be answered (house rule 7). Slots are
// indexed by sequence number modulo the capacity and allocated up front:
// storing and looking up never allocate.
class RtpRetransmissionBuffer {
 public:
  static constexpr size_t kMaxPacketSize = 1500;

  // `capacity` is rounded up to a power of two.
  explicit RtpRetransmissionBuffer(size_t capacity);

  // Stores a plain (decrypted) RTP packet; a packet larger than
  // kMaxPacketSize is not stored. Overwrites whatever had the same slot.
  void Store(uint16_t sequenceNumber, std::span<const uint8_t> packet, int64_t nowMs);

  struct Entry {
    std::span<const uint8_t> packet;  // empty when not (or no longer) stored
    int64_t storedAtMs = 0;
  };
  Entry Get(uint16_t sequenceNumber) const;

  size_t Capacity() const { return slots_.size(); }

 private:
  struct Slot {
    bool used = false;
    uint16_t sequenceNumber = 0;
    uint16_t length = 0;
    int64_t storedAtMs = 0;
  };
  std::vector<Slot> slots_;
  std::vector<uint8_t> storage_;
  size_t mask_;
};

}  // namespace myriad::congestion
