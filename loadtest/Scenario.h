#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/Thresholds.h"

namespace myriad::loadtest {

// One load test as a scenario file describes it (loadtest/scenarios/*.json,
// docs/loadtest.md). Participants are numbered 0..participants-1 and their
// roles follow from the counts: participant i publishes audio when
// i < audioPublishers, video when i < videoPublishers, binds audio slots
// when i >= participants - audioSubscribers and views video when
// i >= participants - videoSubscribers. Participant i joins room
// i % rooms.
struct Scenario {
  struct Audio {
    // Publishers talking at any instant (0.05 = 5%; at least one when > 0).
    double talkingShare = 0.05;
    // Talk spurt lengths are drawn uniformly from this range.
    uint32_t minSpurtMs = 1500;
    uint32_t maxSpurtMs = 4000;
    // RFC 6464 speech levels in dBov (TalkSchedule): the foreground talkers
    // at loudestDbov, -1 dB, -2 dB...; background talkers from
    // backgroundGapDb below the quietest foreground one down to quietestDbov.
    int loudestDbov = -20;
    int quietestDbov = -35;
    // Unset: the audio slots left after the priority publishers (at least
    // one), so the slots' rightful holders are exactly the foreground.
    std::optional<uint32_t> foregroundTalkers;
    // More than the server's switch margin (6 dB), or a background talker
    // that took a freed slot could never be displaced.
    uint32_t backgroundGapDb = 8;
    // What a silent publisher sends (0..127, -dBov; 127 is digital silence).
    uint8_t silenceLevel = 127;
    // The first priorityPublishers audio publishers publish with `priority`
    // (a host): the server gives them a slot whatever their level.
    uint32_t priorityPublishers = 0;
    // Opus-like payload sizes (the record plus filler).
    uint32_t minPayloadBytes = 80;
    uint32_t maxPayloadBytes = 160;
  };

  struct VideoStream {
    std::string rid;  // "" for a single stream without simulcast
    uint32_t kbps = 150;
  };

  struct Video {
    uint32_t framesPerSecond = 15;
    // In the order of a=simulcast; a single entry with rid "" is plain video.
    std::vector<VideoStream> streams{VideoStream{}};
    uint32_t maxPacketBytes = 1200;  // RTP payload bytes per packet at most
  };

  struct Viewport {
    uint32_t pageSize = 49;  // a 7x7 grid
    bool prefetchNextPage = false;
    // Each viewer moves to the next page this often (0: never); viewers are
    // staggered over the interval.
    double flipEverySeconds = 0;
    // The video level (docs/protocol.md "Simulcast tiers") visible tiles ask
    // for, -1 = none stated (the top); prefetched tiles ask for level 0.
    int videoLevel = -1;
  };

  // Room limits handed to a server the tool starts (--spawn-server) as
  // MYRIAD_ROOMS_* variables; unset ones keep the server's defaults.
  struct ServerLimits {
    std::optional<uint32_t> audioSlots;
    std::optional<uint32_t> maxParticipants;
    std::optional<uint32_t> maxPublishers;
    std::optional<uint32_t> rosterBatchIntervalMs;
    std::optional<uint32_t> rosterPageSize;
  };

  // Every participant's UDP over a path of its own, impaired the same way
  // in both directions. Off when neither delay nor loss is set. Where the
  // path model runs (the same LinkImpairment and DelayLine either way):
  // - kInProcess (the default): at each client's socket inside the
  //   generator (InProcessImpairment), so the generator's CPU goes to the
  //   clients, not to relaying;
  // - kRelay: through an ImpairmentRelay the run opens on loopback (one per
  //   shard and server media port), a real UDP hop. Always the relay with
  //   --allow-netns-target and loopback client addresses (only the relays'
  //   sockets reach a namespace then; --client-network lifts that).
  struct Impairment {
    enum class Path : uint8_t { kInProcess, kRelay };
    uint32_t oneWayDelayMs = 0;  // each direction: 30 gives a 60 ms round trip
    double lossPercent = 0;      // independent random loss, each direction
    uint32_t seed = 1;           // the links' loss generators
    Path path = Path::kInProcess;
    bool Enabled() const { return oneWayDelayMs > 0 || lossPercent > 0; }
    // Whether the paths run through relays: asked for, or a server in a
    // network namespace that only relays reach (--allow-netns-target with
    // loopback client addresses).
    bool ThroughRelay(bool onlyRelaysReachTarget) const {
      return path == Path::kRelay || onlyRelaysReachTarget;
    }
  };

  // Conference control under load (docs/protocol.md "Conference control"):
  // a seeded plan (ControlSchedule) of `messages` requests at
  // `ratePerSecond`, in cycles: a host mutes a talker with a lock, asks
  // `holdMs` later to unmute, and the owner accepts (3 requests); an owner
  // mutes and unmutes itself (2); a participant raises and lowers its hand
  // (2). The cycle kinds are drawn by their weights. Participants 0..hosts-1
  // join with the `admin` grant (a token signed with the development key:
  // the server must be in development mode).
  struct Control {
    uint32_t messages = 0;  // 0: no control traffic
    double ratePerSecond = 200;
    bool dataChannel = true;  // on `myriad-control`, else on the WebSocket
    uint32_t hosts = 1;
    uint32_t holdMs = 500;
    // When the first cycle starts (every participant joined and its
    // channel open by then).
    double startSeconds = 5;
    double hostMuteWeight = 1;
    double selfMuteWeight = 1;
    double handWeight = 1;
    // A request without a reply after this long is not delivered.
    uint32_t replyTimeoutMs = 10000;
    bool Enabled() const { return messages > 0; }
  };

  std::string name = "custom";
  std::string description;
  std::string room = "loadtest";
  uint32_t rooms = 1;
  uint32_t participants = 20;
  // Unset counts mean "every participant" (publishers of audio, binders of
  // audio slots) or none (video).
  std::optional<uint32_t> audioPublishers;
  uint32_t videoPublishers = 0;
  std::optional<uint32_t> audioSubscribers;
  uint32_t videoSubscribers = 0;
  // The run lasts durationSeconds from the first join; maxRunSeconds bounds
  // everything including start-up and leaving (0: durationSeconds + 60).
  double durationSeconds = 10;
  double maxRunSeconds = 0;
  double joinRatePerSecond = 100;
  uint32_t seed = 1;
  // Fetch every roster page after joining (viewers always do).
  bool fetchFullRoster = false;
  // A packet from a publisher that was silent for this long before it was
  // sent counts as a packet from a non-talker.
  uint32_t smoothingWindowMs = 1000;
  Audio audio;
  Video video;
  Viewport viewport;
  ServerLimits server;
  Impairment impairment;
  Control control;
  Thresholds thresholds;

  uint32_t AudioPublisherCount() const;
  uint32_t AudioSubscriberCount() const;
  bool PublishesAudio(uint32_t participant) const;
  bool PublishesVideo(uint32_t participant) const;
  bool BindsAudioSlots(uint32_t participant) const;
  bool ViewsVideo(uint32_t participant) const;
  bool IsPriority(uint32_t participant) const;
  // The audio slots the scenario expects (server.audioSlots, or the
  // server's default of 3).
  uint32_t ExpectedAudioSlots() const;
  uint32_t ForegroundTalkers() const;
  double EffectiveMaxRunSeconds() const;

  // "" when the scenario can run, else what is wrong with it.
  std::string Validate() const;
  nlohmann::json ToJson() const;
};

}  // namespace myriad::loadtest
