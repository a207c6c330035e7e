#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "loadtest/TalkSchedule.h"

namespace myriad::loadtest {

// Which conference control requests (docs/protocol.md "Conference
// control") a load test sends, when and by whom: a seeded, deterministic
// plan, like TalkSchedule, so a run can be repeated and a test can check
// what the server did with each request. Pure logic; times are
// microseconds from the start of the run.
//
// The requests come in cycles, started evenly at the rate that makes
// `messages` requests in all at `ratePerSecond`:
// - host mute (3 requests): a host sends hostMute with lock, `holdUs`
//   later requestUnmute, and the owner accepts by unmuting (not planned
//   here: the owner sends it when the `unmuteRequest` arrives);
// - self mute (2): an owner mutes its microphone and unmutes it `holdUs`
//   later;
// - hand (2): a participant raises its hand and lowers it `holdUs` later.
// Kinds are drawn by their weights. A muted track is one someone hears:
// targets are the loudest talkers of the moment (TalkSchedule) when one is
// free, so the router's enforcement is tested on tracks that hold an audio
// slot. A track (or a hand) takes part in one cycle at a time: it is busy
// from the cycle's start to `holdUs` + `settleUs` after it. Hosts are
// never host-muted (the protocol forbids muting oneself as a host action).
class ControlSchedule {
 public:
  enum class Kind : uint8_t {
    kHostMute,       // the actor (a host) mutes `target`'s microphone, locked
    kRequestUnmute,  // the actor (a host) asks `target` to unmute
    kSelfMute,       // the actor mutes its own microphone
    kSelfUnmute,     // the actor unmutes its own microphone
    kRaiseHand,
    kLowerHand,  // the actor lowers its own hand (raiseHand, raised: false)
    // Not planned: the owner's answer to an unmuteRequest (mute false).
    kAcceptUnmute,
  };

  struct Config {
    uint32_t participants = 0;
    uint32_t audioPublishers = 0;  // participants 0..audioPublishers-1
    uint32_t hosts = 0;            // participants 0..hosts-1
    uint32_t messages = 0;
    double ratePerSecond = 200;
    int64_t startUs = 0;
    int64_t holdUs = 500'000;
    int64_t settleUs = 1'000'000;
    double hostMuteWeight = 1;
    double selfMuteWeight = 1;
    double handWeight = 1;
    uint32_t seed = 1;
  };

  struct Action {
    int64_t atUs = 0;
    uint32_t actor = 0;
    Kind kind = Kind::kRaiseHand;
    uint32_t target = 0;  // whose microphone or hand (the actor's own but for host actions)
    uint32_t cycle = 0;
  };

  ControlSchedule(Config config, const TalkSchedule& talk);

  const Config& GetConfig() const { return config_; }
  // Every action, ordered by time.
  const std::vector<Action>& Actions() const { return actions_; }
  // The actions of one participant, ordered by time.
  std::vector<Action> ActionsOf(uint32_t actor) const;
  // The requests the plan makes, the owners' accepts included: `messages`,
  // or one less when the weights leave no cycle that fits the last one.
  uint32_t PlannedMessages() const { return plannedMessages_; }
  uint32_t Cycles() const { return cycles_; }
  // When the last cycle is settled.
  int64_t EndUs() const { return endUs_; }

  // The request's `type` on the wire, and a name for reports.
  static const char* TypeOf(Kind kind);
  static const char* NameOf(Kind kind);
  // Requests a cycle starting with `kind` makes.
  static uint32_t MessagesOfCycle(Kind first);

 private:
  // Uniform in [0, 1) from the top 53 bits (the same on every library).
  double Uniform();
  // A publisher whose microphone is free at `atUs`: the loudest free
  // talker, else the next free one in turn; hosts only when `allowHosts`.
  // False when every one is busy.
  bool PickMicrophone(int64_t atUs, bool allowHosts, uint32_t& picked);
  bool PickHand(int64_t atUs, uint32_t& picked);

  Config config_;
  const TalkSchedule& talk_;
  std::mt19937_64 random_;
  std::vector<Action> actions_;
  std::vector<int64_t> microphoneBusyUntil_;
  std::vector<int64_t> handBusyUntil_;
  uint32_t microphoneCursor_ = 0;
  uint32_t handCursor_ = 0;
  uint32_t hostCursor_ = 0;
  uint32_t plannedMessages_ = 0;
  uint32_t cycles_ = 0;
  int64_t endUs_ = 0;
};

}  // namespace myriad::loadtest
