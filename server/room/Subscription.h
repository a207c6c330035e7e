#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "congestion/AffordableLevelCap.h"
#include "congestion/RetransmissionGate.h"
#include "congestion/TierBitrateCaps.h"
#include "rtp/RtpPacket.h"
#include "rtp/RtpStreamRewriter.h"
#include "signaling/SessionDescription.h"
#include "simulcast/LayerSelector.h"
#include "simulcast/Vp8PictureIdRewriter.h"

namespace myriad::server::room {

class Participant;
class Publication;

// One subscriber's view of one publication: the SSRC, payload types and
// header-extension ids this subscriber's transport negotiated, and the
// sequence-number rewrite that keeps its stream continuous. Owned by the
// subscribing participant; the publication holds a non-owning pointer.
class Subscription {
 public:
  using Clock = std::chrono::steady_clock;

  struct Description {
    std::string mid;
    std::string trackId;
    uint32_t ssrc = 0;
    uint32_t rtxSsrc = 0;  // 0: no RTX negotiated, retransmit on ssrc
    uint8_t payloadType = 0;
    uint8_t rtxPayloadType = 0;
    rtp::ExtensionIdMap extensionMap{};  // publisher's id -> ours (0 = drop)
    uint8_t transportCcId = 0;           // our id of transport-wide-cc, 0 if none
    uint32_t clockRate = 90000;
    // An audio slot (docs/protocol.md "Audio slots"): the source changes with
    // the room's speakers, and may be none. -1: a plain track subscription.
    int slot = -1;
    // The extensions this subscriber negotiated on the mid, to remap a new
    // source's extension ids after a switch.
    std::vector<signaling::SdpExtension> subscriberExtensions;
    // The ladder level this subscriber wants of a simulcast video track
    // (docs/protocol.md "Simulcast tiers"); -1: the top level.
    int videoLevel = -1;
    simulcast::LayerSelector::Options selectorOptions;
  };

  // Publisher extension ids -> subscriber extension ids, by URI. mid, rid
  // and repaired-rid name the publisher's m-line and simulcast layer; they
  // would name the wrong m-line at a subscriber and are dropped.
  static rtp::ExtensionIdMap MapExtensions(const std::vector<signaling::SdpExtension>& publisher,
                                           const std::vector<signaling::SdpExtension>& subscriber);

  // `seed` picks the random initial sequence number and timestamp of the
  // outgoing stream (RFC 3550 5.1). `publication` may be null for an audio
  // slot that carries no one yet.
  Subscription(Participant& subscriber, Publication* publication, Description description,
               uint64_t seed);
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  const Description& Describe() const { return description_; }
  const std::string& Mid() const { return description_.mid; }
  uint32_t Ssrc() const { return description_.ssrc; }
  uint32_t RtxSsrc() const { return description_.rtxSsrc; }
  Publication* Source() { return publication_; }
  int Slot() const { return description_.slot; }
  bool IsAudioSlot() const { return description_.slot >= 0; }

  // An audio slot now carries `next` (or nothing): the outgoing stream goes
  // on with the next packet of `next` at the following sequence number and a
  // timestamp advanced by the time since our last packet (RFC 3550 5.1), so
  // the receiver's jitter buffer sees one continuous stream.
  void SwitchSource(Publication* next, Clock::time_point now);
  Participant& Subscriber() { return subscriber_; }
  const Participant& Subscriber() const { return subscriber_; }

  // Rewrites a copy of the publisher's packet for this subscriber and sends
  // it: SSRC, sequence number, payload type, extension ids, transport-wide
  // sequence number (house rule 7: parse once, rewrite per subscriber).
  void ForwardRtp(const rtp::RtpPacket& packet, Clock::time_point now);

  // A packet of stream `stream` (the selector's tier of the same index) of
  // a simulcast track: the layer selector decides whether it is forwarded,
  // and switches tiers only at a key frame (`keyFrameStart`), rewriting
  // sequence number, timestamp and VP8 picture ids so the decoder sees one
  // continuous stream.
  void ForwardSimulcast(const rtp::RtpPacket& packet, size_t stream, bool keyFrameStart,
                        Clock::time_point now);
  // The wanted ladder level (simulcast only): the top level when unset.
  int VideoLevel() const;
  void SetVideoLevel(int level, int64_t nowMs);
  // VideoLevel(), at most what the source provides (the planner's source
  // level): what the layout can get at best. Simulcast only.
  int PlannableVideoLevel() const;
  // The level asked of the publisher's tier planner: VideoLevel(), capped
  // at what the subscriber's downlink affords (congestion::AffordableLevelCap).
  int DemandLevel() const;
  // One allocation round's verdict on this simulcast subscription
  // (DownlinkController): the budget its priority left it and whether the
  // link, not the layout, keeps it below its wanted tier. When the level it
  // can afford changes, the publisher is re-planned. Returns the affordable
  // cap in force (nullopt: none).
  std::optional<int> OnAllocation(uint32_t budgetBps, bool limitedByBandwidth, int64_t nowMs);
  // From the publication's plan: the tiers being sent (bit t = tier t) and
  // the tier that serves this subscriber's level.
  void SetTierPlan(uint32_t availableTiers, int wantedTier);
  // One tier down / up (bandwidth and device limits, issue 5): see
  // simulcast::LayerSelector::StepDown and StepUp. False: nothing changed
  // (or not a simulcast subscription).
  bool StepDown();
  bool StepUp();
  // The tier being forwarded, or -1 (also for a plain subscription).
  int CurrentTier() const;

  // Bandwidth allocation (server/room/DownlinkController). A video
  // subscription has tiers 0..TierCount()-1 (one for a plain track): the
  // tier the layout wants (-1: none), the tier it receives or is switching
  // to (-1: nothing, or paused), and the limit the subscriber's downlink
  // sets: the highest tier allowed, or paused (nothing forwarded until
  // resumed; a resumed video track starts at a key frame).
  int TierCount() const;
  int WantedTier() const;
  int TargetTier() const;
  void SetBandwidthLimit(int maxTier, bool paused, Clock::time_point now);
  bool IsPausedForBandwidth() const { return pausedForBandwidth_; }
  // The publisher's track was unmuted after a mute (conference control): its packets stopped
  // for a while and its sequence numbers jumped. A plain track starts a new rewriter segment (no
  // gap for the receiver to NACK or count as loss); a simulcast one resumes its tier as after a
  // pause; video asks for a key frame.
  void OnSourceUnmuted(Clock::time_point now);
  // The publication stream whose long-term reference tracker counts this
  // subscriber (Publication::SetLtrStream), -1: none.
  int LtrStream() const { return ltrStream_; }
  void SetLtrStream(int stream) { ltrStream_ = stream; }
  // This subscriber's vote handle in the publication's TierBitrateCaps.
  void SetCapVoter(std::optional<congestion::TierBitrateCaps::Voter> voter) { capVoter_ = voter; }
  std::optional<congestion::TierBitrateCaps::Voter> CapVoter() const { return capVoter_; }
  // Sends one padding-only packet (RFC 3550 5.1 P bit) on the RTX stream of
  // this video subscription, for bandwidth probing: the receiver counts it
  // in its transport-wide feedback and throws it away. False without RTX or
  // transport-wide-cc. `probeClusterId` goes to the send history.
  bool SendPadding(uint8_t paddingBytes, int probeClusterId, Clock::time_point now);
  bool IsSimulcast() const { return simulcast_ != nullptr; }
  // Periodic work: key frame requests while a tier switch is pending.
  void OnTick(Clock::time_point now);

  // Answers a NACK for one of *our* sequence numbers from the publication's
  // buffer, over RTX when negotiated (RFC 4588), unless it would arrive too
  // late or was resent less than a round trip ago (RetransmissionGate).
  void Retransmit(uint16_t ourSequenceNumber, Clock::time_point now);
  void RequestKeyFrame(Clock::time_point now);
  void OnPublicationGone();

  // Sender report fields for this stream (RFC 3550 6.4.1), or nothing before
  // the publisher's first SR or our first packet.
  struct SenderReportFields {
    uint64_t ntpTimestamp = 0;
    uint32_t rtpTimestamp = 0;
    uint32_t packetCount = 0;
    uint32_t octetCount = 0;
  };
  std::optional<SenderReportFields> MakeSenderReport(Clock::time_point now, uint64_t nowNtp) const;

 private:
  // Per-subscriber state of a simulcast track, allocated only for one.
  struct SimulcastState {
    explicit SimulcastState(simulcast::LayerSelector::Options options) : selector(options) {}
    simulcast::LayerSelector selector;
    simulcast::Vp8PictureIdRewriter pictureIds;
    bool vp8 = false;
    int forwardedTier = -1;  // as counted in the subscribers-per-tier gauge
    congestion::AffordableLevelCap levelCap;
    int demandLevel = -1;  // as last given to the publication's planner
  };
  // Sends a rewritten copy; `sourceId` is the rewriter source the packet
  // belongs to (for the VP8 picture id rewrite).
  bool Send(std::span<const uint8_t> packet, bool retransmission,
            const rtp::RtpStreamRewriter::Header& header, uint32_t sourceId, Clock::time_point now);
  // The publication stream a rewriter source id carried.
  size_t StreamOfSource(uint32_t sourceId) const { return simulcast_ ? sourceId & kStreamMask : 0; }
  void CountForwardedTier(int tier);
  static constexpr uint32_t kStreamMask = 7;
  // Each source this subscription carried gets a new rewriter source id, so
  // a NACK for a packet of an earlier speaker is recognised as such. For a
  // simulcast track the low bits (kStreamMask) name the publication stream.
  uint32_t sourceId_ = 1;
  Clock::time_point lastForwardedAt_{};

  Participant& subscriber_;
  Publication* publication_;
  Description description_;
  rtp::RtpStreamRewriter rewriter_;
  congestion::RetransmissionGate retransmissionGate_;
  uint16_t rtxSequence_ = 0;
  bool sentAny_ = false;
  uint32_t timestampOffset_ = 0;  // ours = publisher's + offset, for sender reports
  uint32_t packetsSent_ = 0;
  uint32_t octetsSent_ = 0;
  std::unique_ptr<SimulcastState> simulcast_;
  bool pausedForBandwidth_ = false;
  bool resumeSegmentPending_ = false;  // plain track: next packet starts a segment
  int ltrStream_ = -1;
  int planWantedTier_ = simulcast::LayerSelector::kNoTier;  // from the tier plan
  uint32_t lastTimestamp_ = 0;                              // ours, for padding packets
  std::optional<congestion::TierBitrateCaps::Voter> capVoter_;
};

}  // namespace myriad::server::room
