#pragma once

#include <string>
#include <string_view>

#include "signaling/Grants.h"
#include "signaling/TrackMuteState.h"

namespace myriad::signaling {

// The server's rules for conference control (docs/protocol.md "Conference control"): who may
// do what to whose track or to whom, and the mute state that results. Pure logic: the room finds
// the actor and the target, asks here, and applies an accepted verdict (the forwarding gate, the
// roster batch, the messages); a refused one changes nothing.
//
// - mute / unmute: only the track's owner. Muting is always allowed; unmuting needs the grant to
//   publish that track (an access token may have lost it) and is refused while a host's lock
//   holds (`mute_locked`).
// - hostMute (optionally locked), unlockMute, requestUnmute, kick, lowerHand of someone else:
//   the admin grant (AdminAction). A host never unmutes someone: requestUnmute lifts the lock
//   and asks the owner, who accepts by unmuting (privacy: nobody is put on air by someone else).
class ControlPolicy {
 public:
  struct Actor {
    std::string_view participantId;
    const Grants& grants;
  };
  struct TrackTarget {
    std::string_view ownerId;
    std::string_view kind;    // audio / video
    std::string_view source;  // camera, microphone, screen, screen_audio
    TrackMuteState state;
  };
  struct Verdict {
    std::string code;  // "" = accepted, else an error code of docs/protocol.md
    std::string message;
    TrackMuteState state;  // accepted: the state after the action
    bool changed = false;  // accepted and the state differs from before
    bool Accepted() const { return code.empty(); }
  };

  static Verdict SelfMute(const Actor& actor, const TrackTarget& track, bool muted);
  static Verdict HostMute(const Actor& actor, const TrackTarget& track, bool lock);
  static Verdict UnlockMute(const Actor& actor, const TrackTarget& track);
  // Accepted: the lock is lifted (state) and the owner is to be asked to unmute.
  static Verdict RequestUnmute(const Actor& actor, const TrackTarget& track);
  // Someone else's participation (kick, lowerHand): admin only, never oneself (`bad_target`).
  static Verdict ActOnParticipant(const Actor& actor, std::string_view targetId,
                                  AdminAction action);
};

}  // namespace myriad::signaling
