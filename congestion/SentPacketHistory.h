#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "congestion/Timestamp.h"
#include "rtp/SequenceNumber.h"

namespace myriad::congestion {

// The packets sent to one subscriber, keyed by transport-wide sequence number, so transport-cc
// feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1), which names packets only
// by that number, can be matched with their size and send time.
//
// A ring of kCapacity entries allocated once at construction: at 20 Mbit/s of 1200-byte packets
// that is about a second of history, more than feedback ever lags. Sequence numbers are
// unwrapped to 64 bits when sent and every entry keeps its unwrapped number, so a lookup finds
// a packet only if that very packet still occupies its slot: sequence numbers that wrapped,
// packets overwritten by newer ones and numbers never sent are all "unknown".
//
// Each packet is reported once: the first report (received or lost) settles it and takes it out
// of flight. A packet reported lost and later received (feedback reordering) is reported again
// as kReceivedAfterLoss; other repeats are kRepeat.
class SentPacketHistory {
 public:
  static constexpr size_t kCapacity = 2048;

  struct SentPacket {
    int64_t sequenceNumber = -1;  // unwrapped; -1 for an empty slot
    size_t bytes = 0;
    Timestamp sendTime;
    int probeClusterId = -1;  // -1: not part of a probe cluster
    bool received = false;
    bool reportedLost = false;
  };

  enum class Report {
    kUnknown,            // never sent, or no longer (or not yet) in the history
    kFirst,              // first report for this packet
    kRepeat,             // already settled the same way (or received before, now "lost")
    kReceivedAfterLoss,  // reported lost earlier, now received
  };

  struct ReportResult {
    Report report = Report::kUnknown;
    const SentPacket* packet = nullptr;  // set unless kUnknown
  };

  SentPacketHistory();

  void OnPacketSent(uint16_t sequenceNumber, size_t bytes, Timestamp sendTime,
                    int probeClusterId = -1);

  // The packet with this sequence number if it is in the history, nullptr otherwise.
  const SentPacket* Find(uint16_t sequenceNumber) const;

  // Feedback said the packet arrived / did not arrive.
  ReportResult OnReceived(uint16_t sequenceNumber);
  ReportResult OnLost(uint16_t sequenceNumber);

  // Bytes sent and not yet reported received or lost (packets that fell out of the ring
  // unreported are no longer counted).
  int64_t InFlightBytes() const { return inFlightBytes_; }
  // Total bytes reported received.
  int64_t AcknowledgedBytes() const { return acknowledgedBytes_; }

 private:
  std::optional<size_t> SlotOf(uint16_t sequenceNumber) const;
  void Settle(SentPacket& packet);

  std::vector<SentPacket> ring_;  // kCapacity entries, indexed by unwrapped seq % kCapacity
  rtp::SeqNumUnwrapper unwrapper_;
  int64_t inFlightBytes_ = 0;
  int64_t acknowledgedBytes_ = 0;
};

}  // namespace myriad::congestion
