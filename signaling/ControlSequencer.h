#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace myriad::signaling {

// Sequencing of conference control messages on a data channel (docs/protocol.md "Data
// channel"). Control rides an unordered channel and every message is sent twice, 10 ms apart:
// at 5% loss a message whose first copy is lost arrives with its second instead of after an
// SCTP retransmission timeout (myriad-bench-sctp: 99.9% within 200 ms instead of 97.5%).
// Each message carries "seq" (1, 2, ... per direction and channel); the receiver hands every
// seq to the application once and in order, holding back what overtook a missing one. A
// message marked unordered (a reply, or a notification whose order does not matter because it
// names its request or carries its room version) is handed over on arrival instead: it would
// otherwise wait behind a lost message before it, for that one's SCTP retransmission. Its seq
// still counts, so the ordered ones after it are not held for it, and its copy is a duplicate.
//
// Pure logic, one per direction pair; the control path only (allocates).
class ControlSequencer {
 public:
  // Messages held back waiting for a missing one; beyond this the channel is broken (a peer
  // that skips sequence numbers) and Receive reports overflow.
  static constexpr size_t kMaxHeldBack = 512;

  struct Received {
    std::vector<std::string> ready;   // in sequence order, each once
    std::vector<uint64_t> readySeqs;  // the seq of each ready message (a caller that kept
                                      // something per held message, e.g. its arrival time)
    bool duplicate = false;           // this copy was already seen (or handed over)
    bool overflow = false;            // too many held back: the caller resets the channel
  };

  // The sequence number for the next message this side sends.
  uint64_t NextToSend() { return nextToSend_++; }

  // One received message numbered `seq` (>= 1); `unordered`: hand it over now even if an
  // earlier seq is missing.
  Received Receive(uint64_t seq, std::string message, bool unordered = false);

  uint64_t NextExpected() const { return nextExpected_; }
  size_t HeldBack() const { return heldBack_.size(); }
  uint64_t Duplicates() const { return duplicates_; }

 private:
  uint64_t nextToSend_ = 1;
  uint64_t nextExpected_ = 1;
  // Overtook a missing seq: the message, or nullopt for an unordered one already handed over.
  std::map<uint64_t, std::optional<std::string>> heldBack_;
  uint64_t duplicates_ = 0;
};

}  // namespace myriad::signaling
