#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "congestion/TransportFeedbackPacer.h"
#include "rtp/TransportCcFeedbackBuilder.h"

namespace myriad::loadtest {

// The receive side of transport-wide congestion control
// (draft-holmer-rmcat-transport-wide-cc-extensions-01) as a browser runs it
// for the media it receives: each RTP packet that carries a transport-wide
// sequence number is recorded with its arrival time, and transport-cc
// feedback (section 3.1) reporting them goes back to the sender as often as
// congestion::TransportFeedbackPacer says (every 50 ms at video rates, up to
// 250 ms at audio rates, as the server paces its own). The server's
// send-side estimator measures this client's downlink from it.
//
// The feedback names `senderSsrc` (the client's RTCP SSRC) as its sender
// and the SSRC of the first packet recorded as its media source: an SSRC the
// client receives, as Chrome names one (the server matches the statuses by
// transport-wide sequence number only). A packet the pending feedback cannot
// describe (its arrival too far from the others', or the packet would grow
// too large) sends the pending feedback at once and starts the next with it.
//
// Pure logic with time passed in; sending is the caller's (SRTCP). No
// allocation: the builder and the output buffer are fixed-size members.
// Single-threaded.
class TransportFeedbackReporter {
 public:
  using Clock = std::chrono::steady_clock;
  // Sends one serialized RTCP packet; false when it could not be sent.
  using SendFunction = std::function<bool(std::span<const uint8_t> rtcp)>;

  struct Counters {
    uint64_t packetsRecorded = 0;
    // Older than what feedback already sent covered (reordered too late).
    uint64_t packetsTooOld = 0;
    uint64_t feedbackSent = 0;
    uint64_t feedbackBytesSent = 0;
    uint64_t sendFailures = 0;
  };

  TransportFeedbackReporter(uint32_t senderSsrc, SendFunction send);

  // A received RTP packet of `bytes` (SSRC `ssrc`) carrying transport-wide
  // sequence number `sequence` arrived at `arrival`. No allocation.
  void OnPacket(uint32_t ssrc, uint16_t sequence, size_t bytes, Clock::time_point arrival);
  // Sends the pending feedback when the pacer says a report is due at
  // `now`; true when one was sent. Call at least every Interval().
  bool OnTimer(Clock::time_point now);
  // Sends the pending feedback now; true when one was sent.
  bool Flush();

  // The pacer's current interval between reports.
  std::chrono::milliseconds Interval() const {
    return std::chrono::milliseconds(pacer_.IntervalMs());
  }
  // The media SSRC the feedback names; nullopt before the first packet.
  std::optional<uint32_t> MediaSsrc() const { return mediaSsrc_; }
  const Counters& GetCounters() const { return counters_; }

 private:
  uint32_t senderSsrc_;
  SendFunction send_;
  std::optional<uint32_t> mediaSsrc_;
  std::optional<rtp::TransportCcFeedbackBuilder> builder_;
  congestion::TransportFeedbackPacer pacer_;
  std::array<uint8_t, rtp::TransportCcFeedbackBuilder::kDefaultMaxPacketSize> buffer_{};
  Counters counters_;
};

}  // namespace myriad::loadtest
