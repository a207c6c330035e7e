#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "congestion/NackGenerator.h"
#include "congestion/ReceiveStatistics.h"
#include "congestion/RtpRetransmissionBuffer.h"
#include "rtp/RtpPacket.h"
#include "signaling/SessionDescription.h"

namespace myriad::server::room {

class Participant;
class Subscription;

// A track one participant publishes: the incoming stream (and its RTX
// stream), its retransmission buffer and reception statistics, and the
// subscriptions that receive it. Parse once, fan out per subscriber.
class Publication {
 public:
  using Clock = std::chrono::steady_clock;

  struct Description {
    std::string trackId;
    std::string mid;
    std::string kind;    // audio | video
    std::string source;  // camera | microphone | screen | screen_audio
    signaling::SdpCodec codec;
    std::vector<signaling::SdpExtension> extensions;  // publisher's ids
    uint32_t mediaSsrc = 0;                           // 0 until learned
    uint32_t rtxSsrc = 0;
    bool nackEnabled = false;
    bool priority = false;  // audio that always gets a slot (docs/protocol.md)
  };

  // Where an audio publication reports the RFC 6464 level of each packet:
  // the room's speaker ranking.
  class AudioLevelListener {
   public:
    virtual ~AudioLevelListener() = default;
    virtual void OnAudioLevel(uint32_t audioSourceId, uint8_t level, int64_t nowMs) = 0;
  };

  Publication(Participant& owner, Description description);
  ~Publication();
  Publication(const Publication&) = delete;
  Publication& operator=(const Publication&) = delete;

  const std::string& TrackId() const { return description_.trackId; }
  const std::string& Mid() const { return description_.mid; }
  const std::string& Kind() const { return description_.kind; }
  const std::string& Source() const { return description_.source; }
  const Description& Describe() const { return description_; }
  Participant& Owner() { return owner_; }
  bool IsVideo() const { return description_.kind == "video"; }
  uint32_t MediaSsrc() const { return description_.mediaSsrc; }
  uint32_t RtxSsrc() const { return description_.rtxSsrc; }
  void SetMediaSsrc(uint32_t ssrc) { description_.mediaSsrc = ssrc; }
  void SetRtxSsrc(uint32_t ssrc) { description_.rtxSsrc = ssrc; }
  // The publisher's header-extension id for a URI, 0 when not negotiated.
  uint8_t ExtensionId(std::string_view uri) const;
  // Ids read for every packet, looked up once: transport-wide-cc, and the
  // mid and repaired-rid ids that bind SSRCs the offer did not announce.
  uint8_t TransportSequenceId() const { return transportSequenceId_; }
  uint8_t MidId() const { return midId_; }
  uint8_t RepairedRidId() const { return repairedRidId_; }
  bool IsPriority() const { return description_.priority; }

  // Makes this audio publication a candidate for the room's audio slots:
  // each packet's audio level goes to `listener` under `audioSourceId`.
  void SetAudioLevelListener(AudioLevelListener* listener, uint32_t audioSourceId);
  uint32_t AudioSourceId() const { return audioSourceId_; }

  void AddSubscriber(Subscription& subscription);
  void RemoveSubscriber(Subscription& subscription);
  const std::vector<Subscription*>& Subscribers() const { return subscribers_; }

  // A media packet of this track (already unwrapped if it came over RTX).
  void OnRtpPacket(const rtp::RtpPacket& packet, Clock::time_point now);

  // A stored packet for a subscriber's NACK; empty when gone.
  std::span<const uint8_t> StoredPacket(uint16_t sequenceNumber) const;
  // The RTP timestamp of a packet StoredPacket returned (non-empty).
  static uint32_t TimestampOf(std::span<const uint8_t> storedPacket);

  // A subscriber needs a key frame. Requests are coalesced: at most one PLI
  // per kKeyFrameRequestInterval reaches the publisher.
  void RequestKeyFrame(Clock::time_point now);
  static constexpr auto kKeyFrameRequestInterval = std::chrono::milliseconds(300);

  // Sender report from the publisher: maps RTP time to wall clock for the
  // reports we send subscribers, and LSR/DLSR for our reports (RFC 3550 6.4).
  void OnSenderReport(uint64_t ntpTimestamp, uint32_t rtpTimestamp, Clock::time_point now);
  struct SenderReportInfo {
    uint64_t ntpTimestamp = 0;
    uint32_t rtpTimestamp = 0;
    Clock::time_point receivedAt;
  };
  const std::optional<SenderReportInfo>& LastSenderReport() const { return lastSenderReport_; }

  // Periodic work from the participant's tick: NACKs for our losses.
  size_t CollectNacks(Clock::time_point now, int64_t rttMs, std::span<uint16_t> out);
  congestion::ReceiveStatistics& Statistics() { return statistics_; }
  uint64_t PacketsReceived() const { return statistics_.PacketsReceived(); }

 private:
  static int64_t ToMs(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }

  Participant& owner_;
  Description description_;
  std::vector<Subscription*> subscribers_;
  std::unique_ptr<congestion::RtpRetransmissionBuffer> buffer_;
  congestion::NackGenerator nacks_;
  congestion::ReceiveStatistics statistics_;
  std::optional<SenderReportInfo> lastSenderReport_;
  std::optional<Clock::time_point> lastKeyFrameRequest_;
  bool keyFrameRequestPending_ = false;
  AudioLevelListener* audioLevelListener_ = nullptr;
  uint32_t audioSourceId_ = 0;
  uint8_t audioLevelId_ = 0;  // the publisher's id of the audio-level extension
  uint8_t transportSequenceId_ = 0;
  uint8_t midId_ = 0;
  uint8_t repairedRidId_ = 0;
};

}  // namespace myriad::server::room
