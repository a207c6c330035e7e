#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace myriad::congestion {

// How often a receiver sends transport-wide congestion control feedback
// (draft-holmer-rmcat-transport-wide-cc-extensions-01, section 3.1): often
// enough for the sender's bandwidth estimate to follow a video stream, but
// without spending more than about 5% of what the stream itself uses on
// feedback. libwebrtc's receive side keeps the same bound (50-250 ms, 5% of
// the rate); for an audio-only participant (~40 kbit/s) this is one report
// every 250 ms instead of every 50 ms, which in a room of a thousand
// microphones removes 16,000 reports a second.
//
// Pure logic, time passed in (milliseconds on any monotonic clock).
class TransportFeedbackPacer {
 public:
  static constexpr int64_t kMinIntervalMs = 50;
  static constexpr int64_t kMaxIntervalMs = 250;
  // Bytes one report costs on the wire: IP + UDP + SRTCP overhead and a
  // typical report of a few dozen packets.
  static constexpr uint64_t kReportBytes = 68;
  // The share of the received rate feedback may use.
  static constexpr double kRateShare = 0.05;

  // A packet carrying a transport-wide sequence number arrived.
  void OnPacket(size_t bytes) { bytesInWindow_ += bytes; }

  // Whether a report is due at `nowMs`. When it is, the window restarts and
  // the next interval follows from the rate received in the one just ended.
  // The first call starts the first window and is never due.
  bool IsDue(int64_t nowMs);

  int64_t IntervalMs() const { return intervalMs_; }

 private:
  std::optional<int64_t> windowStartMs_;
  uint64_t bytesInWindow_ = 0;
  int64_t intervalMs_ = kMinIntervalMs;  // until a rate is known: as fast as allowed
};

}  // namespace myriad::congestion
