#include "server/Metrics.h"

#include <prometheus/text_serializer.h>

#include <sstream>

#include "server/ProcessStats.h"
#include "server/transport/SctpStatistics.h"

namespace myriad::server {
namespace {

constexpr const char* kKindNames[] = {"audio", "video", "rtcp", "stun", "dtls", "padding"};
constexpr const char* kDropNames[] = {
    "not_stun_dtls_or_rtp", "unknown_endpoint", "malformed_stun", "stun_auth_failed",
    "malformed_rtp",        "malformed_rtcp",   "srtp_not_ready", "srtp_unprotect_failed",
    "unknown_ssrc",         "send_failed",      "muted"};
static_assert(std::size(kKindNames) == static_cast<size_t>(PacketKind::kCount));
static_assert(std::size(kDropNames) == static_cast<size_t>(DropReason::kCount));

prometheus::Counter* SimpleCounter(prometheus::Registry& registry, const std::string& name,
                                   const std::string& help) {
  return &prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

Metrics& Metrics::Instance() {
  static Metrics metrics;
  return metrics;
}

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  auto& packets = prometheus::BuildCounter()
                      .Name("myriad_packets_total")
                      .Help("UDP packets by direction and kind")
                      .Register(r);
  auto& bytes = prometheus::BuildCounter()
                    .Name("myriad_bytes_total")
                    .Help("UDP payload bytes by direction and kind")
                    .Register(r);
  for (size_t i = 0; i < static_cast<size_t>(PacketKind::kCount); ++i) {
    packets_in_[i] = &packets.Add({{"direction", "in"}, {"kind", kKindNames[i]}});
    packets_out_[i] = &packets.Add({{"direction", "out"}, {"kind", kKindNames[i]}});
    bytes_in_[i] = &bytes.Add({{"direction", "in"}, {"kind", kKindNames[i]}});
    bytes_out_[i] = &bytes.Add({{"direction", "out"}, {"kind", kKindNames[i]}});
  }
  auto& drops = prometheus::BuildCounter()
                    .Name("myriad_dropped_packets_total")
                    .Help("Packets dropped, by reason")
                    .Register(r);
  for (size_t i = 0; i < static_cast<size_t>(DropReason::kCount); ++i) {
    drops_[i] = &drops.Add({{"reason", kDropNames[i]}});
  }
  rooms_ = &prometheus::BuildGauge().Name("myriad_rooms").Help("Open rooms").Register(r).Add({});
  participants_ = &prometheus::BuildGauge()
                       .Name("myriad_participants")
                       .Help("Participants in all rooms")
                       .Register(r)
                       .Add({});
  transports_ = &prometheus::BuildGauge()
                     .Name("myriad_transports")
                     .Help("WebRTC transports (ICE/DTLS/SRTP) alive")
                     .Register(r)
                     .Add({});
  draining_ =
      &prometheus::BuildGauge()
           .Name("myriad_draining")
           .Help("1 while the server drains (after SIGTERM): joins refused, clients told to move")
           .Register(r)
           .Add({});
  drain_deadline_ =
      &prometheus::BuildGauge()
           .Name("myriad_drain_deadline_timestamp_seconds")
           .Help("Unix time at which a drain closes the remaining rooms (0: not draining)")
           .Register(r)
           .Add({});
  drain_notices_ =
      SimpleCounter(r, "myriad_drain_notices_total",
                    "Participants sent a drain message (told to move to another server)");
  dtls_handshakes_ = SimpleCounter(r, "myriad_dtls_handshakes_total", "Completed DTLS handshakes");
  dtls_failures_ = SimpleCounter(r, "myriad_dtls_handshake_failures_total",
                                 "Failed DTLS handshakes (errors, fingerprint mismatch)");
  ice_consent_expired_ = SimpleCounter(r, "myriad_ice_consent_expired_total",
                                       "Transports closed because ICE consent expired");
  auto& nacks = prometheus::BuildCounter()
                    .Name("myriad_nacks_total")
                    .Help("Generic NACK messages by direction")
                    .Register(r);
  nacks_received_ = &nacks.Add({{"direction", "received"}});
  nacks_sent_ = &nacks.Add({{"direction", "sent"}});
  auto& rtx = prometheus::BuildCounter()
                  .Name("myriad_retransmissions_total")
                  .Help("Retransmissions to subscribers, by result")
                  .Register(r);
  retransmissions_ = &rtx.Add({{"result", "sent"}});
  retransmissions_missed_ = &rtx.Add({{"result", "not_in_buffer"}});
  retransmissions_too_old_ = &rtx.Add({{"result", "too_old"}});
  retransmissions_resent_within_rtt_ = &rtx.Add({{"result", "resent_within_rtt"}});
  auto& keyframes = prometheus::BuildCounter()
                        .Name("myriad_keyframe_requests_total")
                        .Help("PLI/FIR messages by type and direction")
                        .Register(r);
  plis_received_ = &keyframes.Add({{"type", "pli"}, {"direction", "received"}});
  plis_sent_ = &keyframes.Add({{"type", "pli"}, {"direction", "sent"}});
  firs_received_ = &keyframes.Add({{"type", "fir"}, {"direction", "received"}});
  keyframe_requests_throttled_ =
      SimpleCounter(r, "myriad_keyframe_requests_throttled_total",
                    "Subscriber key frame requests absorbed by throttling");
  auto& signaling = prometheus::BuildCounter()
                        .Name("myriad_signaling_messages_total")
                        .Help("WebSocket signalling messages by direction")
                        .Register(r);
  signaling_in_ = &signaling.Add({{"direction", "in"}});
  signaling_out_ = &signaling.Add({{"direction", "out"}});
  signaling_errors_ = &prometheus::BuildCounter()
                           .Name("myriad_signaling_errors_total")
                           .Help("Signalling error replies, by code")
                           .Register(r);
  auth_failures_ = &prometheus::BuildCounter()
                        .Name("myriad_auth_failures_total")
                        .Help("Joins and actions refused by access control, by reason")
                        .Register(r);
  control_requests_ = &prometheus::BuildCounter()
                           .Name("myriad_control_requests_total")
                           .Help(
                               "Conference control requests, by action and result (accepted "
                               "or the error code)")
                           .Register(r);
  auto& dataChannel = prometheus::BuildCounter()
                          .Name("myriad_data_channel_messages_total")
                          .Help("Control messages on participants' data channels, by direction")
                          .Register(r);
  auto& muteEnforcement =
      prometheus::BuildHistogram()
          .Name("myriad_control_mute_enforcement_seconds")
          .Help(
              "From a muting request's arrival at the server to the router dropping the track's "
              "packets, by the path it came on")
          .Register(r);
  // From tens of microseconds (handled where the datagram arrived) to a message held back
  // behind a lost one for an SCTP retransmission; 0.2 s is the target, so the share
  // within it is a bucket, not an interpolation (dashboard, alert MyriadMuteEnforcementSlow).
  const prometheus::Histogram::BucketBoundaries muteBuckets{
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 1};
  mute_enforcement_channel_ = &muteEnforcement.Add({{"path", "data_channel"}}, muteBuckets);
  mute_enforcement_websocket_ = &muteEnforcement.Add({{"path", "websocket"}}, muteBuckets);
  auto& controlReply = prometheus::BuildHistogram()
                           .Name("myriad_control_reply_seconds")
                           .Help(
                               "Conference control requests: arrival at the server to the reply "
                               "queued, by path (data_channel, websocket)")
                           .Register(r);
  // 0.2 s: the control target (docs/benchmarks.md); the share within it is read, not bounded.
  const prometheus::Histogram::BucketBoundaries replyBuckets{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1};
  control_reply_channel_ = &controlReply.Add({{"path", "data_channel"}}, replyBuckets);
  control_reply_websocket_ = &controlReply.Add({{"path", "websocket"}}, replyBuckets);
  auto& fractionLost = prometheus::BuildHistogram()
                           .Name("myriad_rtcp_fraction_lost")
                           .Help(
                               "Fraction lost of each RTCP receiver report block: downlink "
                               "(subscribers about what the server sends), uplink (the server "
                               "about what publishers send)")
                           .Register(r);
  // le="0": reports of no loss at all.
  const prometheus::Histogram::BucketBoundaries lossBuckets{0,    0.005, 0.01, 0.02,
                                                            0.05, 0.1,   0.2,  0.5};
  fraction_lost_downlink_ = &fractionLost.Add({{"direction", "downlink"}}, lossBuckets);
  fraction_lost_uplink_ = &fractionLost.Add({{"direction", "uplink"}}, lossBuckets);
  publishers_ = &prometheus::BuildGauge()
                     .Name("myriad_publishers")
                     .Help("Participants publishing at least one track, in all rooms")
                     .Register(r)
                     .Add({});
  data_channel_in_ = &dataChannel.Add({{"direction", "in"}});
  data_channel_out_ = &dataChannel.Add({{"direction", "out"}});
  http_requests_ = SimpleCounter(r, "myriad_http_requests_total", "HTTP requests served");
  audio_slot_switches_ =
      SimpleCounter(r, "myriad_audio_slot_switches_total",
                    "Times a subscriber's audio slot started carrying another speaker");
  roster_batches_ = SimpleCounter(r, "myriad_roster_batches_total",
                                  "Roster delta batches sent (each to a whole room)");
  auto& switches = prometheus::BuildCounter()
                       .Name("myriad_simulcast_tier_switches_total")
                       .Help("Subscribers starting or changing simulcast tier, at a key frame")
                       .Register(r);
  simulcast_switches_[static_cast<size_t>(TierSwitch::kStart)] =
      &switches.Add({{"direction", "start"}});
  simulcast_switches_[static_cast<size_t>(TierSwitch::kUp)] = &switches.Add({{"direction", "up"}});
  simulcast_switches_[static_cast<size_t>(TierSwitch::kDown)] =
      &switches.Add({{"direction", "down"}});
  auto& tierSubscribers = prometheus::BuildGauge()
                              .Name("myriad_simulcast_subscribers")
                              .Help("Simulcast video subscriptions by the tier they receive")
                              .Register(r);
  for (size_t tier = 0; tier < kMaxSimulcastTiers; ++tier) {
    simulcast_subscribers_[tier] = &tierSubscribers.Add({{"tier", std::to_string(tier)}});
  }
  auto& tracks = prometheus::BuildGauge()
                     .Name("myriad_simulcast_tracks")
                     .Help("Published simulcast video tracks by the number of tiers encoded")
                     .Register(r);
  for (size_t tiers = 0; tiers <= kMaxSimulcastTiers; ++tiers) {
    simulcast_tracks_[tiers] = &tracks.Add({{"tiers", std::to_string(tiers)}});
  }
  simulcast_switch_keyframe_requests_ =
      SimpleCounter(r, "myriad_simulcast_switch_keyframe_requests_total",
                    "Key frame requests made to switch a subscriber's simulcast tier");
  simulcast_plan_changes_ = SimpleCounter(r, "myriad_simulcast_plan_changes_total",
                                          "Tier plans sent to publishers (each a change)");
  auto& steps = prometheus::BuildCounter()
                    .Name("myriad_bandwidth_allocation_steps_total")
                    .Help(
                        "Subscriber video tracks moved by the bandwidth allocator, by step "
                        "(demand_*: the level asked of the publisher)")
                    .Register(r);
  bandwidth_steps_[static_cast<size_t>(BandwidthStep::kDown)] = &steps.Add({{"step", "down"}});
  bandwidth_steps_[static_cast<size_t>(BandwidthStep::kUp)] = &steps.Add({{"step", "up"}});
  bandwidth_steps_[static_cast<size_t>(BandwidthStep::kPause)] = &steps.Add({{"step", "pause"}});
  bandwidth_steps_[static_cast<size_t>(BandwidthStep::kDemandDown)] =
      &steps.Add({{"step", "demand_down"}});
  bandwidth_steps_[static_cast<size_t>(BandwidthStep::kDemandUp)] =
      &steps.Add({{"step", "demand_up"}});
  downlink_estimate_ =
      &prometheus::BuildHistogram()
           .Name("myriad_downlink_estimate_bps")
           .Help("Subscribers' downlink bandwidth estimates, one sample per allocation round")
           .Register(r)
           .Add({}, prometheus::Histogram::BucketBoundaries{100e3, 250e3, 500e3, 1e6, 1.5e6, 2e6,
                                                            3e6, 5e6, 10e6, 20e6});
  auto& ltr = prometheus::BuildCounter()
                  .Name("myriad_ltr_feedback_total")
                  .Help("Long-term reference feedback (RPSI) and the key frames it replaced")
                  .Register(r);
  constexpr const char* kLtrNames[] = {"acknowledgement_received", "acknowledgement_sent",
                                       "recovery_sent", "pli_fallback"};
  static_assert(std::size(kLtrNames) == static_cast<size_t>(LtrFeedback::kCount));
  for (size_t i = 0; i < std::size(kLtrNames); ++i) {
    ltr_feedback_[i] = &ltr.Add({{"message", kLtrNames[i]}});
  }
  auto& probes = prometheus::BuildCounter()
                     .Name("myriad_bandwidth_probes_total")
                     .Help("Bandwidth probe clusters and the padding packets they sent")
                     .Register(r);
  probe_clusters_ = &probes.Add({{"unit", "clusters"}});
  probe_packets_ = &probes.Add({{"unit", "packets"}});
  auto& uplink = prometheus::BuildCounter()
                     .Name("myriad_uplink_cap_messages_total")
                     .Help("Bitrate caps sent to publishers, by carrier")
                     .Register(r);
  uplink_cap_updates_ = &uplink.Add({{"carrier", "tier_plan"}});
  rembs_sent_ = &uplink.Add({{"carrier", "remb"}});
  tmmbrs_sent_ = &uplink.Add({{"carrier", "tmmbr"}});
  messages_per_participant_ =
      &prometheus::BuildHistogram()
           .Name("myriad_signaling_messages_per_participant")
           .Help("Signalling messages sent to one participant over its whole session")
           .Register(r)
           .Add({}, prometheus::Histogram::BucketBoundaries{10, 30, 100, 300, 1000, 3000, 10000,
                                                            30000, 100000});
  processing_delay_ = &prometheus::BuildHistogram()
                           .Name("myriad_datagram_processing_delay_seconds")
                           .Help(
                               "From a datagram's kernel receive time to the end of the send "
                               "that carried what it produced, per media worker")
                           .Register(r);
}

prometheus::Histogram& Metrics::ProcessingDelay(size_t worker) {
  // Sub-millisecond resolution where forwarding normally is, up to the
  // delays of an overloaded worker.
  return processing_delay_->Add(
      {{"worker", std::to_string(worker)}},
      prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01,
                                              0.02, 0.05, 0.1, 0.25, 1});
}

prometheus::Counter& Metrics::SignalingError(const std::string& code) {
  // Family::Add locks and may allocate; it is only called on the signalling
  // thread, never on the packet path.
  return signaling_errors_->Add({{"code", code}});
}

prometheus::Counter& Metrics::AuthFailure(const std::string& reason) {
  return auth_failures_->Add({{"reason", reason}});
}

prometheus::Counter& Metrics::ControlRequest(const std::string& action, const std::string& result) {
  return control_requests_->Add({{"action", action}, {"result", result}});
}

std::string Metrics::Serialize() const {
  prometheus::TextSerializer serializer;
  std::ostringstream out;
  serializer.Serialize(out, registry_->Collect());
  // The process's CPU, memory and descriptors (prometheus-cpp exports none).
  if (const auto process = ProcessStats::Read()) out << ProcessStats::Exposition(*process);
  // The data channels' SCTP (usrsctp keeps its own counters).
  if (const auto sctp = transport::SctpStatistics::Read()) {
    out << transport::SctpStatistics::Exposition(*sctp);
  }
  return out.str();
}

}  // namespace myriad::server
