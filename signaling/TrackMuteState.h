#pragma once

#include <string_view>

namespace myriad::signaling {

// Who muted a published track, as the server (the authority on mute state, docs/protocol.md
// "Conference control") records it.
enum class MutedBy { kNobody, kSelf, kHost };

std::string_view ToString(MutedBy by);

// One published track's mute state. `locked`: a host muted it and only a host may lift that
// (unlockMute or requestUnmute); the owner's own unmute is refused meanwhile.
struct TrackMuteState {
  bool muted = false;
  MutedBy by = MutedBy::kNobody;
  bool locked = false;

  bool operator==(const TrackMuteState&) const = default;
};

}  // namespace myriad::signaling
