#include "congestion/SentPacketHistory.h"

namespace myriad::congestion {

namespace {

size_t IndexOf(int64_t unwrapped) {
  // Unwrapped numbers can be negative (late packets before the first); keep the index positive.
  const int64_t capacity = static_cast<int64_t>(SentPacketHistory::kCapacity);
  return static_cast<size_t>(((unwrapped % capacity) + capacity) % capacity);
}

}  // namespace

SentPacketHistory::SentPacketHistory() : ring_(kCapacity) {}

void SentPacketHistory::OnPacketSent(uint16_t sequenceNumber, size_t bytes, Timestamp sendTime,
                                     int probeClusterId) {
  const int64_t unwrapped = unwrapper_.Unwrap(sequenceNumber);
  SentPacket& slot = ring_[IndexOf(unwrapped)];
  if (slot.sequenceNumber >= 0 && !slot.received && !slot.reportedLost) {
    inFlightBytes_ -= static_cast<int64_t>(slot.bytes);  // evicted unreported
  }
  slot = SentPacket{unwrapped, bytes, sendTime, probeClusterId, false, false};
  inFlightBytes_ += static_cast<int64_t>(bytes);
}

std::optional<size_t> SentPacketHistory::SlotOf(uint16_t sequenceNumber) const {
  if (!unwrapper_.Last()) return std::nullopt;
  // Feedback refers to packets already sent: place the number nearest the newest one sent.
  const int64_t unwrapped = unwrapper_.PeekUnwrap(sequenceNumber);
  const size_t index = IndexOf(unwrapped);
  if (ring_[index].sequenceNumber != unwrapped) return std::nullopt;
  return index;
}

const SentPacketHistory::SentPacket* SentPacketHistory::Find(uint16_t sequenceNumber) const {
  const std::optional<size_t> index = SlotOf(sequenceNumber);
  return index ? &ring_[*index] : nullptr;
}

void SentPacketHistory::Settle(SentPacket& packet) {
  if (!packet.received && !packet.reportedLost) {
    inFlightBytes_ -= static_cast<int64_t>(packet.bytes);
  }
}

SentPacketHistory::ReportResult SentPacketHistory::OnReceived(uint16_t sequenceNumber) {
  const std::optional<size_t> index = SlotOf(sequenceNumber);
  if (!index) return {};
  SentPacket* packet = &ring_[*index];
  if (packet->received) return {Report::kRepeat, packet};
  Settle(*packet);
  const bool wasLost = packet->reportedLost;
  packet->received = true;
  packet->reportedLost = false;
  acknowledgedBytes_ += static_cast<int64_t>(packet->bytes);
  return {wasLost ? Report::kReceivedAfterLoss : Report::kFirst, packet};
}

SentPacketHistory::ReportResult SentPacketHistory::OnLost(uint16_t sequenceNumber) {
  const std::optional<size_t> index = SlotOf(sequenceNumber);
  if (!index) return {};
  SentPacket* packet = &ring_[*index];
  if (packet->received || packet->reportedLost) return {Report::kRepeat, packet};
  Settle(*packet);
  packet->reportedLost = true;
  return {Report::kFirst, packet};
}

}  // namespace myriad::congestion
