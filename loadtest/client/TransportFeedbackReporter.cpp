#include "loadtest/client/TransportFeedbackReporter.h"

#include <utility>

namespace myriad::loadtest {

TransportFeedbackReporter::TransportFeedbackReporter(uint32_t senderSsrc, SendFunction send)
    : senderSsrc_(senderSsrc), send_(std::move(send)) {}

void TransportFeedbackReporter::OnPacket(uint32_t ssrc, uint16_t sequence, size_t bytes,
                                         Clock::time_point arrival) {
  if (!builder_) {
    mediaSsrc_ = ssrc;
    builder_.emplace(senderSsrc_, ssrc);
  }
  const int64_t arrivalUs =
      std::chrono::duration_cast<std::chrono::microseconds>(arrival.time_since_epoch()).count();
  pacer_.OnPacket(bytes);
  auto result = builder_->AddReceivedPacket(sequence, arrivalUs);
  if (result == rtp::TransportCcFeedbackBuilder::AddResult::kFeedbackFull) {
    // What is pending goes now; the next feedback starts with this packet.
    Flush();
    result = builder_->AddReceivedPacket(sequence, arrivalUs);
  }
  if (result == rtp::TransportCcFeedbackBuilder::AddResult::kTooOld) {
    ++counters_.packetsTooOld;
    return;
  }
  if (result == rtp::TransportCcFeedbackBuilder::AddResult::kAdded) ++counters_.packetsRecorded;
}

bool TransportFeedbackReporter::OnTimer(Clock::time_point now) {
  const int64_t nowMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  return pacer_.IsDue(nowMs) && Flush();
}

bool TransportFeedbackReporter::Flush() {
  if (!builder_ || builder_->Empty()) return false;
  const size_t length = builder_->Serialize(buffer_);
  // The statuses are reported (or lost with the packet) either way: the
  // next feedback starts after them, as a browser's does.
  builder_->StartNextFeedback();
  if (length == 0) return false;
  if (!send_(std::span<const uint8_t>(buffer_.data(), length))) {
    ++counters_.sendFailures;
    return false;
  }
  ++counters_.feedbackSent;
  counters_.feedbackBytesSent += length;
  return true;
}

}  // namespace myriad::loadtest
