#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/LatencyHistogram.h"
#include "loadtest/Thresholds.h"

namespace myriad::loadtest {

// What one myriad-loadtest run measured (docs/loadtest.md, "Report").
// Durations are milliseconds unless the name says otherwise.
struct RunReport {
  // Percentiles of one distribution, in milliseconds.
  struct Distribution {
    uint64_t count = 0;
    double p50 = 0;
    double p90 = 0;
    double p95 = 0;
    double p99 = 0;
    double max = 0;
    double mean = 0;

    static Distribution FromMicros(const LatencyHistogram& histogram);
    nlohmann::json ToJson() const;
  };

  struct Joins {
    uint64_t attempted = 0;
    uint64_t completed = 0;
    uint64_t failed = 0;
    uint64_t negotiationsFailed = 0;  // publish, slot or viewport offers
    uint64_t transportsConnected = 0;
    uint64_t transportsFailed = 0;
    // Failure reasons with their counts ("room_full: ...", "timeout ...").
    std::map<std::string, uint64_t> errors;
    double JoinedPercent() const;
  };

  struct Packets {
    uint64_t sent = 0;
    uint64_t audioSent = 0;
    uint64_t videoSent = 0;
    uint64_t notSent = 0;  // the generator fell behind its schedule
    uint64_t received = 0;
    uint64_t audioReceived = 0;
    uint64_t videoReceived = 0;
    uint64_t lost = 0;       // sequence gaps, per received stream
    uint64_t foreign = 0;    // received without a valid LoadtestPayload
    uint64_t unmatched = 0;  // on an SSRC no answer had announced yet
    double LossPercent() const;
    // notSent / (sent + notSent): above 1% the generator was overloaded and
    // latency and speaker results say more about it than about the server.
    double NotSentPercent() const;
  };

  struct Speakers {
    // Slot packets from a publisher silent for the whole smoothing window.
    uint64_t nonTalkerPackets = 0;
    // Slot packets sent while their publisher was silent (incl. hangover).
    uint64_t silentPackets = 0;
    // (subscriber, talk spurt) pairs that should have reached a slot: the
    // talker was among the loudest K when its spurt started and both sides
    // were ready; missed ones never reached any slot of the subscriber.
    uint64_t switchesExpected = 0;
    uint64_t switchesMissed = 0;
    uint64_t speakersMessages = 0;
    uint64_t subscribersWithoutAudio = 0;
  };

  struct Messages {
    uint64_t total = 0;
    double meanPerParticipant = 0;
    double maxPerParticipant = 0;
    // Each participant's messages over its time in the room, averaged and
    // at most.
    double meanPerParticipantPerSecond = 0;
    double maxPerParticipantPerSecond = 0;
  };

  struct Process {
    bool measured = false;
    int pid = 0;
    double cpuSeconds = 0;        // over the measured window
    double cpuCores = 0;          // cpuSeconds / window
    double windowSeconds = 0;     // the measured window (after the joins)
    double wholeRunCpuCores = 0;  // from the first join to the end
    uint64_t rssKbBefore = 0;     // before the first join
    uint64_t rssKbAfter = 0;      // at the end, before leaving
    double rssKbPerParticipant = 0;
  };

  // Scenario::impairment: what the relays did, both directions.
  struct Impairment {
    bool enabled = false;
    std::string path;  // "in-process" or "relay" (Scenario::Impairment::Path)
    uint32_t oneWayDelayMs = 0;
    double lossPercent = 0;  // configured
    uint64_t mappings = 0;
    uint64_t uplinkForwarded = 0;
    uint64_t uplinkLost = 0;  // random loss
    uint64_t downlinkForwarded = 0;
    uint64_t downlinkLost = 0;
    uint64_t otherDrops = 0;  // a full line, a refused send, a refused mapping
    // The loss the datagrams met (lost / (forwarded + lost)), both directions.
    double MeasuredLossPercent() const;
  };

  // Scenario::control (docs/loadtest.md "Conference control").
  struct Control {
    bool enabled = false;
    bool dataChannel = false;
    uint64_t planned = 0;  // requests of the plan, owners' accepts included
    uint64_t sent = 0;     // handed to the client (the rest could not be: `unsent`)
    uint64_t unsent = 0;
    uint64_t delivered = 0;  // a reply came back (`ack` or `error`)
    uint64_t acked = 0;
    // `mute_locked` refusals of an owner's unmute that a host's lock,
    // sent while the unmute was on its way, overtook (a later cycle of the
    // plan met a slow reply): the policy's answer, not a fault. The rest of
    // delivered - acked is.
    uint64_t overtaken = 0;
    uint64_t timedOut = 0;
    // `error` replies and reasons not to send, with their counts.
    std::map<std::string, uint64_t> failures;
    // Request handed to the client -> its reply handled by the same client:
    // a round trip through the impaired path both ways (and the server).
    uint64_t deliveredWithin200Ms = 0;
    Distribution roundTrip;
    // The same round trips split at the server (ControlOneWayDelays): request
    // sent -> arrival at the server (uplink), reply queued there -> handled
    // (downlink), over the acked requests. Only when the server's clock is
    // this host's.
    struct OneWay {
      uint64_t samples = 0;
      uint64_t uplinkWithin200Ms = 0;
      uint64_t downlinkWithin200Ms = 0;
      Distribution uplink;
      Distribution downlink;
      Distribution atServer;
    };
    std::optional<OneWay> oneWay;
    // A host's hostMute / requestUnmute handed to its client -> the owner's
    // client handled the `muted` / `unmuteRequest` the server sent it: the
    // host's uplink, the server, the owner's downlink.
    uint64_t notificationsExpected = 0;
    uint64_t notificationsDelivered = 0;
    uint64_t notificationsWithin200Ms = 0;
    Distribution notification;
    // The router's enforcement: audio packets of a muted microphone that
    // reached a subscriber although sent after the mute was acked (and
    // before the owner asked to unmute). Must be 0.
    uint64_t mutesAccepted = 0;
    uint64_t mutesOfHeardTracks = 0;  // the track reached a subscriber in the second before
    uint64_t mutedPacketViolations = 0;
    uint64_t channelsOpened = 0;  // participants whose `myriad-control` opened
    uint64_t copiesSent = 0;
    uint64_t duplicatesReceived = 0;

    // delivered / planned (unsent and timed-out requests are not delivered).
    double DeliveredPercent() const;
    double Within200MsPercent() const;  // of planned
    // Of oneWay's samples and the requests never answered (which count as
    // late both ways); refused requests carry no server times and are left
    // out. 0 without oneWay.
    double UplinkWithin200MsPercent() const;
    double DownlinkWithin200MsPercent() const;
    uint64_t Unanswered() const { return planned > delivered ? planned - delivered : 0; }
    double NotifiedPercent() const;
    double NotifiedWithin200MsPercent() const;
  };

  std::string scenario;
  uint32_t seed = 0;
  uint32_t participants = 0;
  uint32_t rooms = 0;
  double durationSeconds = 0;  // planned
  double elapsedSeconds = 0;   // from the first join to the end of leaving
  // Set when the run itself failed (server unreachable, hard time limit).
  std::string failure;

  Joins joins;
  Distribution joinTime;     // Join() -> `joined`
  Distribution connectTime;  // Join() -> ICE + DTLS connected
  Packets packets;
  Distribution latency;       // every received packet: arrival - send time
  Distribution audioLatency;  // audio slots
  Distribution videoLatency;
  Distribution firstAudio;     // Join() -> first packet in an audio slot
  Distribution speakerSwitch;  // talk spurt start -> its first packet in a slot
  // The server's own histogram (myriad_datagram_processing_delay_seconds)
  // over the measured window, in ms: kernel arrival to the end of the send
  // that carried the result. count 0 when it could not be scraped.
  Distribution serverDelay;
  Speakers speakers;
  Messages messages;
  Impairment impairment;
  Control control;
  Process generator;  // this process (getrusage); RSS is the peak
  Process server;     // /proc/<pid> when known
  std::vector<ThresholdResult> thresholds;

  bool ThresholdsPassed() const;
  nlohmann::json ToJson() const;
  // The human summary printed at the end of a run.
  std::string Summary() const;
};

}  // namespace myriad::loadtest
