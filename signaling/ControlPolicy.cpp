#include "signaling/ControlPolicy.h"

namespace myriad::signaling {
namespace {

ControlPolicy::Verdict Refuse(std::string code, std::string message) {
  ControlPolicy::Verdict verdict;
  verdict.code = std::move(code);
  verdict.message = std::move(message);
  return verdict;
}

ControlPolicy::Verdict Accept(const TrackMuteState& before, const TrackMuteState& after) {
  ControlPolicy::Verdict verdict;
  verdict.state = after;
  verdict.changed = !(before == after);
  return verdict;
}

bool IsHost(const ControlPolicy::Actor& actor) {
  return actor.grants.Allows(AdminAction::MuteParticipant);
}

}  // namespace

ControlPolicy::Verdict ControlPolicy::SelfMute(const Actor& actor, const TrackTarget& track,
                                               bool muted) {
  if (actor.participantId != track.ownerId) {
    return Refuse("not_owner", "only the track's owner mutes or unmutes it (a host: hostMute)");
  }
  TrackMuteState after = track.state;
  if (muted) {
    // Already muted stays as it is: a host's mute and lock are not turned into the owner's.
    if (!after.muted) after = TrackMuteState{true, MutedBy::kSelf, false};
    return Accept(track.state, after);
  }
  if (track.state.locked) {
    return Refuse("mute_locked", "a host locked this track's mute; ask the host");
  }
  if (!actor.grants.AllowsPublish(track.kind, track.source)) {
    return Refuse("forbidden", "the access token does not grant publishing this track");
  }
  return Accept(track.state, TrackMuteState{});
}

ControlPolicy::Verdict ControlPolicy::HostMute(const Actor& actor, const TrackTarget& track,
                                               bool lock) {
  if (!IsHost(actor)) return Refuse("forbidden", "hostMute needs the admin grant");
  return Accept(track.state, TrackMuteState{true, MutedBy::kHost, lock});
}

ControlPolicy::Verdict ControlPolicy::UnlockMute(const Actor& actor, const TrackTarget& track) {
  if (!IsHost(actor)) return Refuse("forbidden", "unlockMute needs the admin grant");
  TrackMuteState after = track.state;
  after.locked = false;
  return Accept(track.state, after);
}

ControlPolicy::Verdict ControlPolicy::RequestUnmute(const Actor& actor, const TrackTarget& track) {
  if (!IsHost(actor)) return Refuse("forbidden", "requestUnmute needs the admin grant");
  if (!track.state.muted) return Refuse("not_muted", "the track is not muted");
  TrackMuteState after = track.state;
  after.locked = false;
  return Accept(track.state, after);
}

ControlPolicy::Verdict ControlPolicy::ActOnParticipant(const Actor& actor,
                                                       std::string_view targetId,
                                                       AdminAction action) {
  if (!actor.grants.Allows(action)) return Refuse("forbidden", "this action needs the admin grant");
  if (targetId == actor.participantId) {
    return Refuse("bad_target", "not applicable to oneself (leave, or raiseHand false)");
  }
  return Verdict{};
}

}  // namespace myriad::signaling
