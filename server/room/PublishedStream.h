#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "congestion/BitrateMeter.h"
#include "congestion/LtrTracker.h"
#include "congestion/NackGenerator.h"
#include "congestion/ReceiveStatistics.h"
#include "congestion/RtpRetransmissionBuffer.h"

namespace myriad::server::room {

// One incoming RTP stream of a publication: the only one of a plain track,
// or one simulcast encoding (one rid, RFC 8853) of a video track. Each has
// its own SSRC and sequence-number space, so each keeps its own
// retransmission buffer, loss detection, reception statistics, sender
// report and key frame request pacing (house rule 7: one retransmission
// buffer per published stream).
class PublishedStream {
 public:
  using Clock = std::chrono::steady_clock;

  struct SenderReportInfo {
    uint64_t ntpTimestamp = 0;
    uint32_t rtpTimestamp = 0;
    Clock::time_point receivedAt;
  };

  // `rid` is empty for a track without simulcast. `bufferPackets` and
  // `packetSize` size the retransmission buffer.
  PublishedStream(std::string rid, size_t bufferPackets, size_t packetSize, uint32_t clockRate,
                  uint32_t mediaSsrc, uint32_t rtxSsrc);

  const std::string& Rid() const { return rid_; }
  uint32_t MediaSsrc() const { return mediaSsrc_; }
  uint32_t RtxSsrc() const { return rtxSsrc_; }
  void SetMediaSsrc(uint32_t ssrc) { mediaSsrc_ = ssrc; }
  void SetRtxSsrc(uint32_t ssrc) { rtxSsrc_ = ssrc; }

  congestion::RtpRetransmissionBuffer& Buffer() { return *buffer_; }
  const congestion::RtpRetransmissionBuffer& Buffer() const { return *buffer_; }
  congestion::NackGenerator& Nacks() { return nacks_; }
  congestion::ReceiveStatistics& Statistics() { return statistics_; }
  const congestion::ReceiveStatistics& Statistics() const { return statistics_; }

  // What the publisher sends on this stream (media packets, RTP bytes).
  congestion::BitrateMeter& Bitrate() { return bitrate_; }
  const congestion::BitrateMeter& Bitrate() const { return bitrate_; }

  // Long-term reference acknowledgements of this stream's subscribers
  // (docs/protocol.md "Long-term references"); null unless the publisher
  // negotiated them.
  congestion::LtrTracker* Ltr() { return ltr_.get(); }
  void EnableLtr() { ltr_ = std::make_unique<congestion::LtrTracker>(); }

  void SetSenderReport(const SenderReportInfo& report) { lastSenderReport_ = report; }
  const std::optional<SenderReportInfo>& LastSenderReport() const { return lastSenderReport_; }

  // The picture size of the stream's latest key frame (VP8 frame header,
  // H.264 SPS); 0 until one arrived.
  int Width() const { return width_; }
  int Height() const { return height_; }
  // Returns whether the size changed.
  bool SetResolution(int width, int height);

  // Key frame request pacing: at most one PLI per interval reaches the
  // publisher for this stream; requests in between are coalesced into one
  // sent when the interval ends.
  enum class KeyFrameRequestResult : uint8_t { kSendNow, kCoalesced };
  // `repairable`: the request is a subscriber's loss report that a frame
  // predicted from a common long-term reference would repair (no key frame
  // needed).
  KeyFrameRequestResult RequestKeyFrame(Clock::time_point now, Clock::duration interval,
                                        bool repairable = false);
  // A coalesced request whose interval has passed (or that waited for the
  // SSRC): true once, then it counts as sent.
  bool TakeDueKeyFrameRequest(Clock::time_point now, Clock::duration interval);
  // Whether every request coalesced into the pending one was repairable:
  // then a recovery frame answers them all; one that needs a key frame (a
  // tier switch, a viewer without a common reference) makes it a PLI.
  bool PendingRequestRepairable() const { return keyFrameRequestPending_ && pendingRepairable_; }
  void MarkKeyFrameRequestPending() {
    keyFrameRequestPending_ = true;
    pendingRepairable_ = false;
  }

 private:
  std::string rid_;
  uint32_t mediaSsrc_;
  uint32_t rtxSsrc_;
  std::unique_ptr<congestion::RtpRetransmissionBuffer> buffer_;
  congestion::NackGenerator nacks_;
  congestion::ReceiveStatistics statistics_;
  congestion::BitrateMeter bitrate_;
  std::unique_ptr<congestion::LtrTracker> ltr_;
  std::optional<SenderReportInfo> lastSenderReport_;
  std::optional<Clock::time_point> lastKeyFrameRequest_;
  bool keyFrameRequestPending_ = false;
  bool pendingRepairable_ = false;
  int width_ = 0;
  int height_ = 0;
};

}  // namespace myriad::server::room
