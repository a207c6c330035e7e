#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <string>

namespace myriad::server {

// Why a packet was not delivered. Every drop is counted under one of these
// reasons so an operator can tell abuse from bugs from network trouble.
enum class DropReason : size_t {
  kNotStunDtlsOrRtp,  // RFC 7983 demux matched nothing
  kUnknownEndpoint,   // media from a 5-tuple no ICE check has validated
  kMalformedStun,
  kStunAuthFailed,  // bad USERNAME, MESSAGE-INTEGRITY or FINGERPRINT
  kMalformedRtp,
  kMalformedRtcp,
  kSrtpNotReady,         // SRTP before the DTLS handshake finished
  kSrtpUnprotectFailed,  // authentication or replay failure
  kUnknownSsrc,
  kSendFailed,
  kMuted,  // a packet of a track the server muted (conference control)
  kCount
};

// kPadding: bandwidth probes (padding-only RTX packets).
enum class PacketKind : size_t { kAudio, kVideo, kRtcp, kStun, kDtls, kPadding, kCount };

// A bandwidth allocator decision (myriad_bandwidth_allocation_steps_total).
// kDemandDown / kDemandUp: the level a subscription asks the publisher's tier
// planner for was capped lower, or raised, by what the downlink affords.
enum class BandwidthStep : size_t { kDown, kUp, kPause, kDemandDown, kDemandUp, kCount };

// Long-term reference feedback (myriad_ltr_feedback_total).
enum class LtrFeedback : size_t {
  kAcknowledgementReceived,  // RPSI "acknowledged" from a subscriber
  kAcknowledgementSent,      // aggregate RPSI "acknowledged" to a publisher
  kRecoverySent,             // RPSI "recover from" instead of a key frame
  kPliFallback,              // a loss no common reference could repair: PLI
  kCount
};

// How a subscriber's simulcast tier changed (myriad_simulcast_tier_switches_total).
enum class TierSwitch : size_t { kStart, kUp, kDown, kCount };

// Process-wide Prometheus metrics. Counters are atomics inside prometheus-cpp,
// so workers update them without locks; families are created once at start.
class Metrics {
 public:
  static Metrics& Instance();

  prometheus::Registry& GetRegistry() { return *registry_; }
  std::string Serialize() const;  // text exposition format for /metrics

  void CountIn(PacketKind kind, size_t bytes) {
    packets_in_[static_cast<size_t>(kind)]->Increment();
    bytes_in_[static_cast<size_t>(kind)]->Increment(static_cast<double>(bytes));
  }
  void CountOut(PacketKind kind, size_t bytes) {
    packets_out_[static_cast<size_t>(kind)]->Increment();
    bytes_out_[static_cast<size_t>(kind)]->Increment(static_cast<double>(bytes));
  }
  void CountDrop(DropReason reason) { drops_[static_cast<size_t>(reason)]->Increment(); }
  double DropCount(DropReason reason) const { return drops_[static_cast<size_t>(reason)]->Value(); }

  prometheus::Gauge& rooms() { return *rooms_; }
  prometheus::Gauge& participants() { return *participants_; }
  prometheus::Gauge& transports() { return *transports_; }
  // 1 from the drain's start (SIGTERM) until the process exits; its deadline as a Unix time.
  prometheus::Gauge& draining() { return *draining_; }
  prometheus::Gauge& drain_deadline() { return *drain_deadline_; }
  prometheus::Counter& drain_notices() { return *drain_notices_; }
  prometheus::Counter& dtls_handshakes() { return *dtls_handshakes_; }
  prometheus::Counter& dtls_failures() { return *dtls_failures_; }
  prometheus::Counter& ice_consent_expired() { return *ice_consent_expired_; }
  prometheus::Counter& nacks_received() { return *nacks_received_; }
  prometheus::Counter& nacks_sent() { return *nacks_sent_; }
  prometheus::Counter& retransmissions() { return *retransmissions_; }
  prometheus::Counter& retransmissions_missed() { return *retransmissions_missed_; }
  // NACKed packets not resent: useless by the time they would arrive, or
  // already resent less than a round trip ago (congestion::RetransmissionGate).
  prometheus::Counter& retransmissions_too_old() { return *retransmissions_too_old_; }
  prometheus::Counter& retransmissions_resent_within_rtt() {
    return *retransmissions_resent_within_rtt_;
  }
  prometheus::Counter& plis_received() { return *plis_received_; }
  prometheus::Counter& plis_sent() { return *plis_sent_; }
  prometheus::Counter& firs_received() { return *firs_received_; }
  prometheus::Counter& keyframe_requests_throttled() { return *keyframe_requests_throttled_; }
  prometheus::Counter& signaling_messages_in() { return *signaling_in_; }
  prometheus::Counter& signaling_messages_out() { return *signaling_out_; }
  prometheus::Counter& SignalingError(const std::string& code);
  // Refused joins and actions (myriad_auth_failures_total{reason}): missing_token, an
  // AccessToken::ErrorName, no_join_grant, forbidden_publish, forbidden_subscribe. Signalling
  // rate only (the family locks).
  prometheus::Counter& AuthFailure(const std::string& reason);
  // Conference control requests (myriad_control_requests_total{action, result}): result is
  // "accepted" or the error code. Signalling rate only (the family locks).
  prometheus::Counter& ControlRequest(const std::string& action, const std::string& result);
  // From a request that mutes a track arriving at the server (the kernel receive time of the
  // datagram that completed it on the data channel, or the read of its WebSocket frame) to the
  // router dropping the track's packets (myriad_control_mute_enforcement_seconds{path}).
  prometheus::Histogram& MuteEnforcement(bool dataChannel) {
    return dataChannel ? *mute_enforcement_channel_ : *mute_enforcement_websocket_;
  }
  // A conference control request from its arrival at the server (the datagram's kernel receive
  // time, or the WebSocket frame's) to its reply queued (myriad_control_reply_seconds{path}).
  prometheus::Histogram& ControlReply(bool dataChannel) {
    return dataChannel ? *control_reply_channel_ : *control_reply_websocket_;
  }
  // RTCP receiver reports' fraction lost (RFC 3550 6.4.1), per report block: downlink = what
  // subscribers report about the streams the server sends them; uplink = what the server
  // reports to publishers about their streams (myriad_rtcp_fraction_lost{direction}).
  prometheus::Histogram& FractionLost(bool downlink) {
    return downlink ? *fraction_lost_downlink_ : *fraction_lost_uplink_;
  }
  // Participants publishing at least one track, in all rooms.
  prometheus::Gauge& publishers() { return *publishers_; }
  // Messages on participants' control data channels (myriad_data_channel_messages_total).
  prometheus::Counter& DataChannelMessages(bool outgoing) {
    return outgoing ? *data_channel_out_ : *data_channel_in_;
  }
  prometheus::Counter& http_requests() { return *http_requests_; }
  prometheus::Counter& audio_slot_switches() { return *audio_slot_switches_; }
  prometheus::Counter& roster_batches() { return *roster_batches_; }
  // Simulcast (docs/protocol.md "Simulcast tiers"); all pre-created, safe on
  // the packet path. Tiers are 0..3, tiers encoded per track 0..4.
  static constexpr size_t kMaxSimulcastTiers = 4;
  prometheus::Counter& SimulcastSwitches(TierSwitch kind) {
    return *simulcast_switches_[static_cast<size_t>(kind)];
  }
  prometheus::Gauge& SimulcastSubscribers(int tier) {
    return *simulcast_subscribers_[static_cast<size_t>(tier) % kMaxSimulcastTiers];
  }
  prometheus::Gauge& SimulcastTracks(size_t tiersEncoded) {
    return *simulcast_tracks_[std::min(tiersEncoded, kMaxSimulcastTiers)];
  }
  prometheus::Counter& simulcast_switch_keyframe_requests() {
    return *simulcast_switch_keyframe_requests_;
  }
  prometheus::Counter& simulcast_plan_changes() { return *simulcast_plan_changes_; }
  // Bandwidth estimation and allocation (server/room/DownlinkController).
  prometheus::Counter& BandwidthSteps(BandwidthStep step) {
    return *bandwidth_steps_[static_cast<size_t>(step)];
  }
  prometheus::Counter& LtrFeedback(LtrFeedback message) {
    return *ltr_feedback_[static_cast<size_t>(message)];
  }
  prometheus::Histogram& downlink_estimate() { return *downlink_estimate_; }
  prometheus::Counter& probe_clusters() { return *probe_clusters_; }
  prometheus::Counter& probe_packets() { return *probe_packets_; }
  // Tier plans re-sent because a tier's bitrate cap moved, and REMB/TMMBR
  // sent to publishers.
  prometheus::Counter& uplink_cap_updates() { return *uplink_cap_updates_; }
  prometheus::Counter& rembs_sent() { return *rembs_sent_; }
  prometheus::Counter& tmmbrs_sent() { return *tmmbrs_sent_; }
  // Observed when a participant's signalling session ends.
  prometheus::Histogram& messages_per_participant() { return *messages_per_participant_; }
  // Kernel receive time of a datagram to the end of the sendmmsg that
  // carried what it produced: the latency the server adds (per worker).
  prometheus::Histogram& ProcessingDelay(size_t worker);

 private:
  Metrics();

  std::shared_ptr<prometheus::Registry> registry_;
  std::array<prometheus::Counter*, static_cast<size_t>(PacketKind::kCount)> packets_in_{};
  std::array<prometheus::Counter*, static_cast<size_t>(PacketKind::kCount)> bytes_in_{};
  std::array<prometheus::Counter*, static_cast<size_t>(PacketKind::kCount)> packets_out_{};
  std::array<prometheus::Counter*, static_cast<size_t>(PacketKind::kCount)> bytes_out_{};
  std::array<prometheus::Counter*, static_cast<size_t>(DropReason::kCount)> drops_{};
  prometheus::Gauge* rooms_ = nullptr;
  prometheus::Gauge* participants_ = nullptr;
  prometheus::Gauge* transports_ = nullptr;
  prometheus::Gauge* draining_ = nullptr;
  prometheus::Gauge* drain_deadline_ = nullptr;
  prometheus::Counter* drain_notices_ = nullptr;
  prometheus::Counter* dtls_handshakes_ = nullptr;
  prometheus::Counter* dtls_failures_ = nullptr;
  prometheus::Counter* ice_consent_expired_ = nullptr;
  prometheus::Counter* nacks_received_ = nullptr;
  prometheus::Counter* nacks_sent_ = nullptr;
  prometheus::Counter* retransmissions_ = nullptr;
  prometheus::Counter* retransmissions_missed_ = nullptr;
  prometheus::Counter* retransmissions_too_old_ = nullptr;
  prometheus::Counter* retransmissions_resent_within_rtt_ = nullptr;
  prometheus::Counter* plis_received_ = nullptr;
  prometheus::Counter* plis_sent_ = nullptr;
  prometheus::Counter* firs_received_ = nullptr;
  prometheus::Counter* keyframe_requests_throttled_ = nullptr;
  prometheus::Counter* signaling_in_ = nullptr;
  prometheus::Counter* signaling_out_ = nullptr;
  prometheus::Family<prometheus::Counter>* signaling_errors_ = nullptr;
  prometheus::Family<prometheus::Counter>* auth_failures_ = nullptr;
  prometheus::Family<prometheus::Counter>* control_requests_ = nullptr;
  prometheus::Histogram* mute_enforcement_channel_ = nullptr;
  prometheus::Histogram* mute_enforcement_websocket_ = nullptr;
  prometheus::Histogram* control_reply_channel_ = nullptr;
  prometheus::Histogram* control_reply_websocket_ = nullptr;
  prometheus::Histogram* fraction_lost_downlink_ = nullptr;
  prometheus::Histogram* fraction_lost_uplink_ = nullptr;
  prometheus::Gauge* publishers_ = nullptr;
  prometheus::Counter* data_channel_in_ = nullptr;
  prometheus::Counter* data_channel_out_ = nullptr;
  prometheus::Counter* http_requests_ = nullptr;
  prometheus::Counter* audio_slot_switches_ = nullptr;
  prometheus::Counter* roster_batches_ = nullptr;
  std::array<prometheus::Counter*, static_cast<size_t>(TierSwitch::kCount)> simulcast_switches_{};
  std::array<prometheus::Gauge*, kMaxSimulcastTiers> simulcast_subscribers_{};
  std::array<prometheus::Gauge*, kMaxSimulcastTiers + 1> simulcast_tracks_{};
  prometheus::Counter* simulcast_switch_keyframe_requests_ = nullptr;
  prometheus::Counter* simulcast_plan_changes_ = nullptr;
  prometheus::Histogram* messages_per_participant_ = nullptr;
  std::array<prometheus::Counter*, static_cast<size_t>(BandwidthStep::kCount)> bandwidth_steps_{};
  prometheus::Histogram* downlink_estimate_ = nullptr;
  std::array<prometheus::Counter*, static_cast<size_t>(LtrFeedback::kCount)> ltr_feedback_{};
  prometheus::Counter* probe_clusters_ = nullptr;
  prometheus::Counter* probe_packets_ = nullptr;
  prometheus::Counter* uplink_cap_updates_ = nullptr;
  prometheus::Counter* rembs_sent_ = nullptr;
  prometheus::Counter* tmmbrs_sent_ = nullptr;
  prometheus::Family<prometheus::Histogram>* processing_delay_ = nullptr;
};

}  // namespace myriad::server
