#include <catch2/catch.hpp>
#include <string>

#include "signaling/ControlPolicy.h"

using myriad::signaling::AdminAction;
using myriad::signaling::ControlPolicy;
using myriad::signaling::Grants;
using myriad::signaling::MutedBy;
using myriad::signaling::TrackMuteState;

namespace {

Grants Participant() { return Grants::DefaultParticipant(); }
Grants Host() {
  Grants grants = Grants::DefaultParticipant();
  grants.admin = true;
  return grants;
}
Grants ListenOnly() {
  Grants grants;
  grants.join = true;
  grants.subscribe = true;
  return grants;
}

const TrackMuteState kOpen;
const TrackMuteState kSelfMuted{true, MutedBy::kSelf, false};
const TrackMuteState kHostMuted{true, MutedBy::kHost, false};
const TrackMuteState kHostLocked{true, MutedBy::kHost, true};

}  // namespace

TEST_CASE("ControlPolicy: who may mute and unmute a track, and the state that results",
          "[signaling]") {
  enum class Act { kSelfMute, kSelfUnmute, kHostMute, kHostMuteLocked, kUnlock, kRequestUnmute };
  struct Case {
    const char* name;
    Act act;
    const char* actorId;
    Grants grants;
    TrackMuteState before;
    const char* expectedCode;  // "" = accepted
    TrackMuteState after;
    bool changed;
  };
  // The track T belongs to P1, a microphone.
  const Case cases[] = {
      {"owner mutes", Act::kSelfMute, "P1", Participant(), kOpen, "", kSelfMuted, true},
      {"owner mutes twice", Act::kSelfMute, "P1", Participant(), kSelfMuted, "", kSelfMuted, false},
      {"owner's mute keeps a host's lock", Act::kSelfMute, "P1", Participant(), kHostLocked, "",
       kHostLocked, false},
      {"owner unmutes", Act::kSelfUnmute, "P1", Participant(), kSelfMuted, "", kOpen, true},
      {"owner unmutes a host's unlocked mute", Act::kSelfUnmute, "P1", Participant(), kHostMuted,
       "", kOpen, true},
      {"owner cannot unmute a lock", Act::kSelfUnmute, "P1", Participant(), kHostLocked,
       "mute_locked", kHostLocked, false},
      {"a host's own lock binds it too", Act::kSelfUnmute, "P1", Host(), kHostLocked, "mute_locked",
       kHostLocked, false},
      {"unmute needs the publish grant", Act::kSelfUnmute, "P1", ListenOnly(), kSelfMuted,
       "forbidden", kSelfMuted, false},
      {"muting needs no grant", Act::kSelfMute, "P1", ListenOnly(), kOpen, "", kSelfMuted, true},
      {"someone else's track", Act::kSelfMute, "P2", Participant(), kOpen, "not_owner", kOpen,
       false},
      {"someone else's unmute", Act::kSelfUnmute, "P2", Host(), kSelfMuted, "not_owner", kSelfMuted,
       false},
      {"host mutes", Act::kHostMute, "P2", Host(), kOpen, "", kHostMuted, true},
      {"host mutes and locks", Act::kHostMuteLocked, "P2", Host(), kSelfMuted, "", kHostLocked,
       true},
      {"non-host cannot host-mute", Act::kHostMute, "P2", Participant(), kOpen, "forbidden", kOpen,
       false},
      {"host unlocks, still muted", Act::kUnlock, "P2", Host(), kHostLocked, "", kHostMuted, true},
      {"non-host cannot unlock", Act::kUnlock, "P1", Participant(), kHostLocked, "forbidden",
       kHostLocked, false},
      {"request unmute lifts the lock only", Act::kRequestUnmute, "P2", Host(), kHostLocked, "",
       kHostMuted, true},
      {"request unmute of a self mute changes nothing", Act::kRequestUnmute, "P2", Host(),
       kSelfMuted, "", kSelfMuted, false},
      {"request unmute of an open track", Act::kRequestUnmute, "P2", Host(), kOpen, "not_muted",
       kOpen, false},
      {"non-host cannot request unmute", Act::kRequestUnmute, "P2", Participant(), kSelfMuted,
       "forbidden", kSelfMuted, false},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const ControlPolicy::Actor actor{c.actorId, c.grants};
    const ControlPolicy::TrackTarget track{"P1", "audio", "microphone", c.before};
    ControlPolicy::Verdict verdict;
    switch (c.act) {
      case Act::kSelfMute:
        verdict = ControlPolicy::SelfMute(actor, track, true);
        break;
      case Act::kSelfUnmute:
        verdict = ControlPolicy::SelfMute(actor, track, false);
        break;
      case Act::kHostMute:
        verdict = ControlPolicy::HostMute(actor, track, false);
        break;
      case Act::kHostMuteLocked:
        verdict = ControlPolicy::HostMute(actor, track, true);
        break;
      case Act::kUnlock:
        verdict = ControlPolicy::UnlockMute(actor, track);
        break;
      case Act::kRequestUnmute:
        verdict = ControlPolicy::RequestUnmute(actor, track);
        break;
    }
    CHECK(verdict.code == c.expectedCode);
    CHECK(verdict.Accepted() == std::string(c.expectedCode).empty());
    if (verdict.Accepted()) {
      CHECK(verdict.state == c.after);
    } else {
      CHECK_FALSE(verdict.message.empty());
    }
    CHECK(verdict.changed == c.changed);
  }
}

TEST_CASE("ControlPolicy: a camera's unmute needs publishVideo, a screen's publishScreen",
          "[signaling]") {
  Grants cameraOnly;
  cameraOnly.join = true;
  cameraOnly.publishVideo = true;
  const ControlPolicy::Actor actor{"P1", cameraOnly};
  CHECK(ControlPolicy::SelfMute(actor, {"P1", "video", "camera", kSelfMuted}, false).Accepted());
  CHECK(ControlPolicy::SelfMute(actor, {"P1", "video", "screen", kSelfMuted}, false).code ==
        "forbidden");
  CHECK(ControlPolicy::SelfMute(actor, {"P1", "audio", "microphone", kSelfMuted}, false).code ==
        "forbidden");
}

TEST_CASE("ControlPolicy: kick and lowering someone's hand need admin, never oneself",
          "[signaling]") {
  const Grants host = Host();
  const Grants participant = Participant();
  for (const AdminAction action : {AdminAction::RemoveParticipant, AdminAction::LowerHand}) {
    CHECK(ControlPolicy::ActOnParticipant({"P1", host}, "P2", action).Accepted());
    CHECK(ControlPolicy::ActOnParticipant({"P1", participant}, "P2", action).code == "forbidden");
    CHECK(ControlPolicy::ActOnParticipant({"P1", host}, "P1", action).code == "bad_target");
  }
}
