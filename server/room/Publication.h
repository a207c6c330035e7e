#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "congestion/RtpRetransmissionBuffer.h"
#include "congestion/TierBitrateCaps.h"
#include "rtp/RtpPacket.h"
#include "server/room/PublishedStream.h"
#include "signaling/SessionDescription.h"
#include "signaling/TrackMuteState.h"
#include "simulcast/TierPlanner.h"

namespace myriad::server::room {

class Participant;
class Subscription;

// A track one participant publishes: its incoming streams (one, or one per
// simulcast rid, each with its RTX stream, retransmission buffer and
// reception statistics), and the subscriptions that receive it. Parse once,
// fan out per subscriber.
//
// A simulcast video track (two or more rids) also has a TierPlanner: the
// levels its subscribers want decide what the publisher encodes
// (docs/protocol.md "Simulcast tiers"). Each planned level is assigned a
// rid, keeping every level that stays planned on the rid it had, so a
// re-plan never makes the publisher re-encode a surviving stream at
// another size (an encoder restart that would stall its viewers). The
// layer selectors' tier index is the rid's position; a subscriber gets the
// stream whose real picture size (from its key frames) is nearest to the
// level the plan serves it with.
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
    // Simulcast (RFC 8853): the rids the publisher sends, ascending in size;
    // empty or one rid: no simulcast.
    std::vector<std::string> rids;
    int tierBudget = 0;     // encodings the publisher can produce; 0: one per rid
    int captureHeight = 0;  // declared by the publisher; 0: unknown
    int captureWidth = 0;
  };

  // Where an audio publication reports the RFC 6464 level of each packet:
  // the room's speaker ranking.
  class AudioLevelListener {
   public:
    virtual ~AudioLevelListener() = default;
    virtual void OnAudioLevel(uint32_t audioSourceId, uint8_t level, int64_t nowMs) = 0;
  };

  // `ladder` and `plannerOptions` matter only for a simulcast track.
  Publication(Participant& owner, Description description, const simulcast::SimulcastLadder& ladder,
              simulcast::TierPlanner::Options plannerOptions);
  ~Publication();
  Publication(const Publication&) = delete;
  Publication& operator=(const Publication&) = delete;

  const std::string& TrackId() const { return description_.trackId; }
  const std::string& Mid() const { return description_.mid; }
  const std::string& Kind() const { return description_.kind; }
  const std::string& Source() const { return description_.source; }
  const Description& Describe() const { return description_; }
  Participant& Owner() { return owner_; }
  const Participant& Owner() const { return owner_; }
  bool IsVideo() const { return isVideo_; }
  bool IsVp8() const { return isVp8_; }
  // The first stream's SSRCs (the only stream without simulcast).
  uint32_t MediaSsrc() const { return streams_.front()->MediaSsrc(); }
  uint32_t RtxSsrc() const { return streams_.front()->RtxSsrc(); }

  // Incoming streams, in the order of the offer's rids (one without
  // simulcast). Never empty.
  size_t StreamCount() const { return streams_.size(); }
  PublishedStream& Stream(size_t index) { return *streams_[index]; }
  const PublishedStream& Stream(size_t index) const { return *streams_[index]; }
  // The stream of a rid, or -1.
  int StreamIndexForRid(std::string_view rid) const;
  // The LayerSelector tier index of a stream is its position: rids are
  // listed in ascending size and planned levels are assigned in order.
  int StreamOfTier(int tier) const {
    return tier >= 0 && static_cast<size_t>(tier) < streams_.size() ? tier : -1;
  }
  // The ladder level each rid is asked to encode, -1 = paused (simulcast
  // only; empty before the first plan).
  const std::vector<int>& RidLevels() const { return ridLevels_; }
  // The publisher's header-extension id for a URI, 0 when not negotiated.
  uint8_t ExtensionId(std::string_view uri) const;
  // Ids read for every packet, looked up once: transport-wide-cc, and the
  // mid and repaired-rid ids that bind SSRCs the offer did not announce.
  uint8_t TransportSequenceId() const { return transportSequenceId_; }
  uint8_t MidId() const { return midId_; }
  uint8_t RepairedRidId() const { return repairedRidId_; }
  uint8_t RidId() const { return ridId_; }
  bool IsPriority() const { return description_.priority; }

  // Conference control (docs/protocol.md): the server is the authority on mute state. While
  // muted, no packet of the track is forwarded to anyone, whatever the publisher keeps sending
  // (counted as drop reason `muted`), and an audio track's level reaches no speaker ranking.
  // Unmuting resumes every subscription (Subscription::OnSourceUnmuted).
  const signaling::TrackMuteState& MuteState() const { return muteState_; }
  bool IsMuted() const { return muteState_.muted; }
  void SetMuteState(const signaling::TrackMuteState& state, Clock::time_point now);

  // Makes this audio publication a candidate for the room's audio slots:
  // each packet's audio level goes to `listener` under `audioSourceId`.
  void SetAudioLevelListener(AudioLevelListener* listener, uint32_t audioSourceId);
  uint32_t AudioSourceId() const { return audioSourceId_; }

  void AddSubscriber(Subscription& subscription);
  void RemoveSubscriber(Subscription& subscription);
  const std::vector<Subscription*>& Subscribers() const { return subscribers_; }

  // A media packet of stream `stream` of this track (already unwrapped if it
  // came over RTX).
  void OnRtpPacket(size_t stream, const rtp::RtpPacket& packet, Clock::time_point now);

  // A stored packet of `stream` for a subscriber's NACK (empty when gone)
  // and when it arrived (steady clock, milliseconds).
  congestion::RtpRetransmissionBuffer::Entry StoredPacket(size_t stream,
                                                          uint16_t sequenceNumber) const;
  // The RTP timestamp of a packet StoredPacket returned (non-empty).
  static uint32_t TimestampOf(std::span<const uint8_t> storedPacket);

  // A subscriber needs a key frame of `stream`. Requests are coalesced per
  // stream: at most one PLI per kKeyFrameRequestInterval reaches the
  // publisher, whatever the number of subscribers asking. And per track: a
  // WebRTC encoder takes one key frame request per 300 ms for all its
  // simulcast streams together and drops the rest (libwebrtc's
  // EncoderRtcpFeedback), so a PLI for another stream within that window
  // is held until it opens instead of being sent and lost (a tier switch
  // would wait for the selector's retry).
  // With long-term references negotiated and `requester` given (a
  // subscriber's PLI/FIR), the publisher is asked to encode from a
  // reference every subscriber of the stream has instead (RPSI "recover
  // from"), when there is one; otherwise a PLI, coalesced as above.
  void RequestKeyFrame(size_t stream, Clock::time_point now,
                       const Subscription* requester = nullptr);
  static constexpr auto kKeyFrameRequestInterval = std::chrono::milliseconds(300);

  // Sender report from the publisher for one of its SSRCs: maps RTP time to
  // wall clock for the reports we send subscribers, and LSR/DLSR for our
  // reports (RFC 3550 6.4).
  void OnSenderReport(uint32_t ssrc, uint64_t ntpTimestamp, uint32_t rtpTimestamp,
                      Clock::time_point now);
  using SenderReportInfo = PublishedStream::SenderReportInfo;

  // Periodic work from the participant's tick: NACKs for our losses on
  // `stream`, and coalesced key frame requests that are due.
  size_t CollectNacks(size_t stream, Clock::time_point now, int64_t rttMs, std::span<uint16_t> out);
  uint64_t PacketsReceived() const;

  // Simulcast planning; null without simulcast.
  simulcast::TierPlanner* Planner() { return planner_.get(); }
  const simulcast::TierPlanner* Planner() const { return planner_.get(); }
  bool IsSimulcast() const { return planner_ != nullptr; }
  // A media packet of any of the track's streams has arrived.
  bool MediaStarted() const { return mediaStarted_; }
  // A subscriber's wanted ladder level changed (nullopt: it left). Its
  // wanted tier follows at once from the current plan.
  void SetDemand(Subscription& subscription, std::optional<int> level, int64_t nowMs);
  // Re-plans if due: the new plan, after every subscriber's tiers follow
  // it; nullopt when nothing changed.
  std::optional<simulcast::TierPlan> UpdatePlan(int64_t nowMs);
  // The capture height the plan scales from: the declared one, or the
  // largest picture seen.
  int SourceHeight() const;

  // Long-term references (docs/protocol.md): negotiated by the publisher
  // ("nack rpsi" and the Dependency Descriptor, whose frame_number is the
  // frame id). A subscriber counts for the stream it receives.
  bool UsesLtr() const { return ltr_; }
  // Moves `subscription` to the tracker of `stream` (-1: none).
  void SetLtrStream(Subscription& subscription, int stream);
  // A subscriber fully decoded long-term reference `frameId` of the stream
  // it receives.
  void OnLtrAcknowledged(const Subscription& subscription, uint16_t frameId);
  // The newest aggregate acknowledgement per stream, repeated with the
  // periodic reports (RTCP may be lost).
  void RepeatLtrAcknowledgements();

  // Uplink/downlink linkage (docs/protocol.md "Bandwidth"): each video
  // subscriber's DownlinkController votes the share of its estimate it may
  // spend on the tier it receives; a tier's cap is the highest vote, so the
  // publisher sends no more than its best-connected viewer of that tier can
  // take. Null for audio.
  congestion::TierBitrateCaps* Caps() { return caps_.get(); }
  // A tier's (stream's) ladder rate: the most it is asked to send without
  // caps (the top tier planned: its level's maximum; lower tiers: their
  // target; a plain video track: kSingleStreamMaxBitrateBps); 0 when paused.
  uint32_t TierMaxBitrate(int tier) const;
  // The least a cap may leave a tier: a quarter of its rate (libwebrtc's
  // own minimum for 720p is 0.24 of its maximum; below it the picture is
  // worse than the tier under it). A plain track has no tier under it: its
  // only alternative is a paused picture, so its floor is low.
  uint32_t TierMinBitrate(int tier) const;
  static constexpr uint32_t kMinBitrateDivisor = 4;
  static constexpr uint32_t kSingleStreamMaxBitrateBps = 2'500'000;
  static constexpr uint32_t kSingleStreamMinBitrateBps = 100'000;
  // Recomputes the caps from the votes (once per allocation round): true
  // when they moved enough to be sent to the publisher again; the sender
  // calls Caps()->MarkPublished().
  bool UpdateCaps();
  // The cap of a tier as last computed (its max before any vote).
  uint32_t TierCap(int tier) const;
  // The lowest tier sent: its subscribers can only be paused below it, so
  // its cap is the lowest vote (congestion::TierBitrateCaps), and each of
  // them holds it (BandwidthAllocator rule 2). A plain track's one stream.
  bool IsLowestTier(int tier) const;
  // The `version` of the next tierPlan message: grows with every message,
  // plan changes and cap re-sends alike.
  uint64_t NextTierPlanMessageVersion() { return ++tierPlanMessages_; }
  // A tier plan message went to the publisher (so a cap change has one to re-send).
  bool TierPlanSent() const { return tierPlanMessages_ > 0; }

 private:
  static int64_t ToMs(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }

  // Reads the picture size from a key frame of `stream` (VP8 frame header,
  // H.264 SPS); true when the packet starts a key frame.
  bool InspectVideo(size_t stream, const rtp::RtpPacket& packet);
  // A key frame request that goes out now: RPSI "recover from" `recovery`
  // when given, else a PLI (counted as an LTR fallback when `ltrLoss`).
  void SendKeyFrameRequest(PublishedStream& stream, std::optional<uint16_t> recovery, bool ltrLoss,
                           Clock::time_point now);
  // No PLI for any stream of this track within kKeyFrameRequestInterval.
  bool PliWindowOpen(Clock::time_point now) const {
    return !lastPliAt_ || now - *lastPliAt_ >= kKeyFrameRequestInterval;
  }
  // Keeps the planner's source level at the largest picture seen.
  void UpdateSourceLevel();
  // The active stream serving ladder level `level`: the one whose real size
  // (or, before its first key frame, its assigned level) is nearest, of two
  // equally near the smaller; -1 with none active.
  int StreamForLevel(int level) const;
  // The ladder level of each rid's encoding before any plan: the SDK (like
  // Chromium's own defaults) negotiates its rids at 1/2^k of the capture,
  // the last one full size. simulcast::RidAssignment's tie-break.
  std::vector<int> NominalRidLevels() const;
  // The stream serving `subscription`'s request under the current plan, or
  // LayerSelector::kNoTier.
  int WantedStreamFor(const Subscription& subscription) const;
  uint32_t ActiveStreamMask() const;
  // Pushes the active streams and each subscriber's wanted stream.
  void ApplyPlanToSubscribers();

  Participant& owner_;
  signaling::TrackMuteState muteState_;
  Description description_;
  bool isVideo_;
  bool isH264_ = false;
  bool isVp8_ = false;
  std::vector<Subscription*> subscribers_;
  std::vector<std::unique_ptr<PublishedStream>> streams_;
  std::vector<int> ridLevels_;
  bool mediaStarted_ = false;
  std::unique_ptr<simulcast::TierPlanner> planner_;
  AudioLevelListener* audioLevelListener_ = nullptr;
  uint32_t audioSourceId_ = 0;
  uint8_t audioLevelId_ = 0;  // the publisher's id of the audio-level extension
  uint8_t transportSequenceId_ = 0;
  uint8_t midId_ = 0;
  uint8_t repairedRidId_ = 0;
  uint8_t ridId_ = 0;
  std::unique_ptr<congestion::TierBitrateCaps> caps_;
  bool ltr_ = false;
  uint64_t tierPlanMessages_ = 0;
  uint8_t dependencyDescriptorId_ = 0;
  std::vector<congestion::TierBitrateCaps::TierLimits> capLimits_;
  std::vector<uint32_t> currentCaps_;
  std::optional<Clock::time_point> lastPliAt_;  // the last PLI sent for any stream
};

}  // namespace myriad::server::room
