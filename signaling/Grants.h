#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace myriad::signaling {

// Actions only a room's host may take (signaling::ControlPolicy asks).
enum class AdminAction {
  MuteParticipant,    // hostMute, unlockMute, requestUnmute of someone else's track
  RemoveParticipant,  // kick
  LowerHand,          // lower someone else's raised hand
};

// What an access token allows its bearer in its room (docs/protocol.md "Access tokens"). Every
// signalling action is checked here before it changes anything.
struct Grants {
  bool join = false;
  bool publishAudio = false;   // a microphone
  bool publishVideo = false;   // a camera
  bool publishScreen = false;  // screen and screen_audio
  bool subscribe = false;
  bool admin = false;

  // Development mode's grants for a join without a token: everything but admin.
  static Grants DefaultParticipant();

  bool AllowsJoin() const { return join; }
  // A track of `kind` ("audio" / "video") from `source` (camera, microphone, screen,
  // screen_audio; "" = the kind's default): screen sources need publishScreen whatever their
  // kind, anything else publishAudio or publishVideo by kind.
  bool AllowsPublish(std::string_view kind, std::string_view source) const;
  bool AllowsSubscribe() const { return subscribe; }
  bool Allows(AdminAction action) const;

  // The token claim: {"join": true, "publishAudio": false, ...}; every key written.
  nlohmann::json ToJson() const;
  // From the token claim. Missing keys are false; nullopt when `json` is not an object or a
  // known key is not a boolean. Unknown keys are ignored (a newer minter's grants).
  static std::optional<Grants> FromJson(const nlohmann::json& json);
  // From a comma-separated list: join, publish (all three publish grants), publishAudio,
  // publishVideo, publishScreen, subscribe, admin, all. nullopt (and `error` says which word)
  // for an unknown word or an empty list.
  static std::optional<Grants> FromList(std::string_view list, std::string* error);
  // The grants set, comma-separated in the order above ("" for none).
  std::string ToList() const;

  bool operator==(const Grants&) const = default;
};

}  // namespace myriad::signaling
