#include "congestion/RtpRetransmissionBuffer.h"

#include <bit>
#include <cstring>

namespace myriad::congestion {

RtpRetransmissionBuffer::RtpRetransmissionBuffer(size_t capacity, size_t maxPacketSize)
    : slotSize_(maxPacketSize > kMaxPacketSize ? kMaxPacketSize : maxPacketSize),
      slots_(std::bit_ceil(capacity < 1 ? size_t{1} : capacity)),
      storage_(std::make_unique_for_overwrite<uint8_t[]>(slots_.size() * slotSize_)),
      mask_(slots_.size() - 1) {}

void RtpRetransmissionBuffer::Store(uint16_t sequenceNumber, std::span<const uint8_t> packet,
                                    int64_t nowMs) {
  if (packet.size() > slotSize_ || packet.empty()) return;
  const size_t index = sequenceNumber & mask_;
  Slot& slot = slots_[index];
  slot.used = true;
  slot.sequenceNumber = sequenceNumber;
  slot.length = static_cast<uint16_t>(packet.size());
  slot.storedAtMs = nowMs;
  std::memcpy(storage_.get() + index * slotSize_, packet.data(), packet.size());
}

RtpRetransmissionBuffer::Entry RtpRetransmissionBuffer::Get(uint16_t sequenceNumber) const {
  const size_t index = sequenceNumber & mask_;
  const Slot& slot = slots_[index];
  if (!slot.used || slot.sequenceNumber != sequenceNumber) return {};
  return Entry{std::span<const uint8_t>(storage_.get() + index * slotSize_, slot.length),
               slot.storedAtMs};
}

}  // namespace myriad::congestion
