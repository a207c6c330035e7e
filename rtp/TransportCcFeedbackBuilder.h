#pragma once

// Accumulates (transport-wide seq, arrival time) pairs for one feedback interval and writes
// a transport-cc feedback packet (draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1).
//
// Packets may be added out of order. A packet that cannot be described by the current
// feedback packet - its recv delta to a neighbour does not fit the 16-bit signed delta, it is
// too far from the base, or the packet would outgrow the size limit - is refused with
// kFeedbackFull: the caller serialises, calls StartNextFeedback() and adds it again. Statuses
// are kept in a fixed window, so nothing here allocates.

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace myriad::rtp {

class TransportCcFeedbackBuilder {
 public:
  // Sequence numbers one feedback packet can span; keeps the builder a fixed ~9 KiB.
  static constexpr size_t kMaxStatusCount = 1024;
  static constexpr size_t kDefaultMaxPacketSize = 1200;

  enum class AddResult {
    kAdded,         // recorded (or a duplicate of a recorded packet)
    kFeedbackFull,  // serialise, StartNextFeedback(), then add again
    kTooOld,        // older than what earlier feedback already covered; drop it
  };

  TransportCcFeedbackBuilder(uint32_t senderSsrc, uint32_t mediaSsrc,
                             size_t maxPacketSize = kDefaultMaxPacketSize);

  AddResult AddReceivedPacket(uint16_t transportSequenceNumber, int64_t arrivalTimeUs);

  bool Empty() const { return receivedCount_ == 0; }
  uint16_t BaseSequenceNumber() const { return base_; }
  size_t PacketStatusCount() const { return statusCount_; }
  uint8_t FeedbackPacketCount() const { return feedbackPacketCount_; }

  // Exact size of the packet Serialize would write; 0 when empty.
  size_t SerializedSize() const;
  // Writes the feedback packet; returns bytes written, 0 if empty or `out` is too small.
  size_t Serialize(std::span<uint8_t> out) const;

  // Clears the statuses, bumps the feedback packet count, and makes the next feedback start
  // right after this one so packets lost in between are reported as not received.
  void StartNextFeedback();

 private:
  // Chunk words for the current statuses, passed to emit(uint16_t); returns how many.
  template <typename Emit>
  size_t EncodeChunks(std::span<const uint8_t> symbols, Emit&& emit) const;
  // Status symbol per seq from the base (0, 1 or 2), as the draft defines them.
  void ComputeSymbols(std::span<uint8_t> symbols) const;
  std::optional<size_t> PreviousReceived(size_t index) const;
  std::optional<size_t> FirstReceivedFrom(size_t begin) const;
  size_t SizeBound(size_t statusCount, size_t receivedCount) const;

  uint32_t senderSsrc_;
  uint32_t mediaSsrc_;
  size_t maxPacketSize_;
  uint8_t feedbackPacketCount_ = 0;
  std::optional<uint16_t> nextBase_;  // first seq not covered by earlier feedback

  uint16_t base_ = 0;
  size_t statusCount_ = 0;  // highest recorded index + 1
  size_t receivedCount_ = 0;
  int64_t referenceTime_ = 0;  // 64 ms units, untruncated
  std::bitset<kMaxStatusCount> received_;
  std::array<int64_t, kMaxStatusCount> arrivalTicks_{};  // 250 us units
};

}  // namespace myriad::rtp
