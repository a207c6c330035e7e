#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
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

  // `capacity` is rounded up to a power of two. `maxPacketSize` (at most
  // kMaxPacketSize) bounds what a slot holds: audio streams keep small
  // slots, so a thousand microphones do not cost 1500 bytes per packet each.
  explicit RtpRetransmissionBuffer(size_t capacity, size_t maxPacketSize = kMaxPacketSize);

  // Stores a plain (decrypted) RTP packet; a packet larger than
  // MaxPacketSize() is not stored. Overwrites whatever had the same slot.
  void Store(uint16_t sequenceNumber, std::span<const uint8_t> packet, int64_t nowMs);

  struct Entry {
    std::span<const uint8_t> packet;  // empty when not (or no longer) stored
    int64_t storedAtMs = 0;
  };
  Entry Get(uint16_t sequenceNumber) const;

  size_t Capacity() const { return slots_.size(); }
  size_t MaxPacketSize() const { return slotSize_; }

 private:
  struct Slot {
    bool used = false;
    uint16_t sequenceNumber = 0;
    uint16_t length = 0;
    int64_t storedAtMs = 0;
  };
  size_t slotSize_;
  std::vector<Slot> slots_;
  // Not zero-filled: a slot is read only after Store wrote it, and pages of
  // a stream that never sends (a paused simulcast encoding) are never
  // touched, so they cost address space, not memory.
  std::unique_ptr<uint8_t[]> storage_;
  size_t mask_;
};

}  // namespace myriad::congestion
